// SSRF rules for webhook URLs: the address classifier (IPv4 and IPv6), and the whole check with
// ENVIRONMENT forced to production, resolving through the local sink's DNS-over-HTTPS zone.
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import worker from "../../worker/index.ts";
import { checkEndpointUrl, classifyAddress } from "../../worker/webhooks/url-policy.ts";
import { userToken } from "../helpers/identity.ts";
import { expectProblem } from "../helpers/http.ts";
import { createTenant } from "../helpers/tenants.ts";
import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { deliverWebhooks } from "../../worker/webhooks/delivery-attempts.ts";
import { as } from "../helpers/database.ts";
import { received, receiver } from "../helpers/sink.ts";
import { eventually } from "../helpers/wait.ts";
import { call } from "../helpers/tenants.ts";

const production = { ENVIRONMENT: "production", DOH_URL: env.DOH_URL };

describe("classifyAddress", () => {
  it.each([
    ["127.0.0.1", "loopback"],
    ["127.255.0.9", "loopback"],
    ["10.0.0.1", "private"],
    ["172.16.0.1", "private"],
    ["172.31.255.255", "private"],
    ["192.168.1.1", "private"],
    ["169.254.10.1", "link_local"],
    ["169.254.169.254", "metadata"],
    ["100.100.100.200", "metadata"],
    ["100.64.0.1", "cgnat"],
    ["100.127.255.255", "cgnat"],
    ["224.0.0.1", "multicast"],
    ["0.0.0.0", "unspecified"],
    ["240.0.0.1", "reserved"],
    ["198.18.0.1", "reserved"],
    ["172.32.0.1", "public"],
    ["100.128.0.1", "public"],
    ["93.184.216.34", "public"],
    ["::1", "loopback"],
    ["[::1]", "loopback"],
    ["::", "unspecified"],
    ["fc00::1", "private"],
    ["fd12:3456::1", "private"],
    ["fe80::1%eth0", "link_local"],
    ["ff02::1", "multicast"],
    ["::ffff:127.0.0.1", "loopback"],
    ["::ffff:7f00:1", "loopback"],
    ["::ffff:10.0.0.1", "private"],
    ["64:ff9b::a9fe:a9fe", "metadata"],
    ["fd00:ec2::254", "metadata"],
    ["2001:db8::1", "reserved"],
    ["2606:4700:4700::1111", "public"],
    // 6to4 carries an IPv4 address in its second and third groups: classified by it.
    ["2002:7f00:1::1", "loopback"],
    ["2002:a9fe:a9fe::", "metadata"],
    ["2002:c0a8:101::1", "private"],
    ["2002:5db8:d822::1", "public"],
    // Local-use NAT64 and Teredo can reach anything behind a translator or relay: never public.
    ["64:ff9b:1::a00:1", "reserved"],
    ["64:ff9b:1:abcd::5db8:d822", "reserved"],
    ["2001:0:4136:e378:8000:63bf:3fff:fdd2", "reserved"],
    ["2001::1", "reserved"],
    // IPv4-mapped and IPv4-translated (::ffff:0:a.b.c.d) addresses, by their IPv4 address.
    ["::ffff:a9fe:a9fe", "metadata"],
    ["::ffff:0:7f00:1", "loopback"],
    ["::ffff:0:10.0.0.1", "private"],
    ["::ffff:0:169.254.169.254", "metadata"],
  ])("%s is %s", (address, kind) => {
    expect(classifyAddress(address)).toBe(kind);
  });

  it("is undefined for names and malformed addresses", () => {
    for (const value of ["example.com", "1.2.3", "256.1.1.1", "1::2::3", "12345::1", "::g"])
      expect(classifyAddress(value)).toBeUndefined();
  });
});

describe("checkEndpointUrl outside development/test", () => {
  it.each([
    ["http://hooks.public.test/x", "https_required"],
    ["https://hooks.public.test:8443/x", "port_not_allowed"],
    ["https://user:pw@hooks.public.test/x", "credentials_not_allowed"],
    ["https://127.0.0.1/x", "ip_literal_not_allowed"],
    ["https://2130706433/x", "ip_literal_not_allowed"],
    ["https://[::1]/x", "ip_literal_not_allowed"],
    ["https://localhost/x", "host_not_public"],
    ["https://metadata.internal/x", "host_not_public"],
    ["https://hooks.private.test/x", "address_not_public"],
    ["https://hooks.loopback6.test/x", "address_not_public"],
    ["https://hooks.metadata.test/x", "address_not_public"],
    ["https://hooks.cgnat.test/x", "address_not_public"],
    ["https://hooks.mapped.test/x", "address_not_public"],
    ["https://nowhere.test/x", "host_does_not_resolve"],
  ])("refuses %s (%s)", async (url, code) => {
    expect(await checkEndpointUrl(production, url)).toMatchObject({ ok: false, code });
  });

  it("accepts https on 443 to a host with only public addresses", async () => {
    expect(await checkEndpointUrl(production, "https://hooks.public.test/securebase")).toEqual({ ok: true });
    expect(await checkEndpointUrl(production, "https://hooks.public.test:443/securebase")).toEqual({ ok: true });
  });

  it("allows local receivers in development and test only", async () => {
    expect(await checkEndpointUrl({ ENVIRONMENT: "test" }, "http://127.0.0.1:9999/x")).toEqual({ ok: true });
    expect(await checkEndpointUrl({ ENVIRONMENT: "development" }, "http://localhost:9999/x")).toEqual({ ok: true });
    expect(
      await checkEndpointUrl({ ENVIRONMENT: "staging", DOH_URL: env.DOH_URL }, "http://127.0.0.1:9999/x"),
    ).toMatchObject({ ok: false });
  });

  it("keeps the guard on for an unset, empty or unknown ENVIRONMENT (fail closed)", async () => {
    for (const ENVIRONMENT of [undefined, "", "Development", "dev", "preview", "local"]) {
      expect(
        await checkEndpointUrl({ ENVIRONMENT: ENVIRONMENT as string, DOH_URL: env.DOH_URL }, "http://127.0.0.1:9999/x"),
        String(ENVIRONMENT),
      ).toMatchObject({ ok: false });
    }
  });

  it("answers 422 naming body.url when the Worker runs with ENVIRONMENT=production", async () => {
    const tenant = await createTenant();
    const { token } = await userToken(tenant.customerId, "admin");
    const create = async (url: string) => {
      const ctx = createExecutionContext();
      const response = await worker.fetch(
        new Request("https://api.securebase.test/v1/webhooks/endpoints", {
          method: "POST",
          headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
          body: JSON.stringify({ url }),
        }),
        { ...env, ENVIRONMENT: "production" },
        ctx,
      );
      await waitOnExecutionContext(ctx);
      return response;
    };
    const refused = await expectProblem(await create("https://hooks.private.test/x"), {
      status: 422,
      type: "validation-error",
      field: "body.url",
    });
    expect(refused.errors![0]).toMatchObject({ code: "address_not_public" });
    await expectProblem(await create("http://127.0.0.1:8080/x"), {
      status: 422,
      type: "validation-error",
      field: "body.url",
    });
    expect((await create("https://hooks.public.test/x")).status).toBe(201);
  });
});

describe("at delivery time", () => {
  it("checks the URL again before every attempt: nothing is sent to a URL the rules refuse", async () => {
    const tenant = await createTenant();
    const { token } = await userToken(tenant.customerId, "admin");
    // Retry-After an hour: the queue's own retry (5 s after a plain 500) would otherwise race the
    // attempt made below, and on a busy machine claim the delivery first.
    const hook = await receiver({ script: [{ status: 500, retry_after: "3600" }], then_status: 500 });
    const created = await call("/v1/webhooks/endpoints", {
      method: "POST",
      token,
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ url: hook.url, event_types: ["invoice.created"] }),
    });
    const endpoint = await created.json<{ id: string }>();
    expect((await call(`/v1/webhooks/endpoints/${endpoint.id}/test`, { method: "POST", token })).status).toBe(202);
    // Failed, not only counted: an attempt counts itself when it claims the delivery, and one
    // still in flight would write its outcome over the next_attempt_at set below.
    const [delivery] = await eventually(async () => {
      const d = await (
        await (
          await call(`/v1/webhooks/endpoints/${endpoint.id}/deliveries`, { token })
        ).json<{ data: { id: string; attempt_count: number; status: string }[] }>()
      ).data;
      expect(
        d[0]?.attempt_count === 1 && d[0].status === "failed",
        'd[0]?.attempt_count === 1 && d[0].status === "failed"',
      ).toBe(true);
      return d;
    });
    await as("admin", (client) =>
      client.query("UPDATE webhook_deliveries SET next_attempt_at = now() WHERE id = $1", [delivery!.id]),
    );
    const summary = await deliverWebhooks({ ...env, ENVIRONMENT: "production" }, [delivery!.id]);
    expect(summary).toMatchObject({ attempted: 1, failed: 1 });
    const detail = await (await call(`/v1/webhooks/deliveries/${delivery!.id}`, { token })).json<{
      attempts: { status_code: number | null; error: string }[];
    }>();
    expect(detail.attempts[1]).toMatchObject({
      status_code: null,
      error: expect.stringContaining("refused before sending"),
    });
    expect(await received(hook.name)).toHaveLength(1); // only the first, test-environment attempt
  });
});
