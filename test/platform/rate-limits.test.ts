// Per-key rate limits by tier, enforced by the RateLimiter Durable Object, with RateLimit-*
// headers on every limited response and Retry-After on 429.
import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { asCustomer } from "../../dev/fixtures.ts";
import { forgetLeases, leaseSize } from "../../worker/platform/rate-limit-client.ts";
import { asOwner } from "../helpers/database.ts";
import { userToken } from "../helpers/identity.ts";
import { call, createTenant, type TestTenant } from "../helpers/tenants.ts";

let standard: TestTenant;
let fintech: TestTenant;
beforeAll(async () => {
  standard = await createTenant({ tier: "standard" });
  fintech = await createTenant({ tier: "fintech" });
});

const me = (token: string) => call("/v1/me", { token });

describe("rate limits", () => {
  it("report the tier's limit and the remaining quota on every response", async () => {
    const first = await me(standard.key);
    const second = await me(standard.key);
    expect(first.status).toBe(200);
    expect(first.headers.get("ratelimit-limit")).toBe("600");
    expect(Number(second.headers.get("ratelimit-remaining"))).toBe(
      Number(first.headers.get("ratelimit-remaining")) - 1,
    );
    expect(Number(second.headers.get("ratelimit-reset"))).toBeGreaterThan(0);
    expect(Number(second.headers.get("ratelimit-reset"))).toBeLessThanOrEqual(60);
    expect((await me(fintech.key)).headers.get("ratelimit-limit")).toBe("1200");
  });

  it("serve exactly the limit in a window, then 429 with Retry-After, without touching other keys", async () => {
    const spent = await createTenant({ tier: "standard" });
    let served = 0;
    let limited: Response | undefined;
    // The token exchange: authenticated and limited like every route, but no database work, so
    // 600 requests stay cheap on a loaded machine.
    const exchange = () => call("/v1/auth/token", { method: "POST", token: spent.key });
    while (!limited) {
      const batch = await Promise.all(Array.from({ length: 25 }, exchange));
      for (const response of batch) {
        if (response.status === 200) served++;
        else if (response.status === 429) limited ??= response;
        else throw new Error(`unexpected ${response.status}`);
      }
    }
    // One isolate holds every lease here, so nothing is stranded: exactly the limit is served.
    expect(served).toBe(600);
    expect(limited.headers.get("content-type")).toBe("application/problem+json");
    expect(limited.headers.get("ratelimit-remaining")).toBe("0");
    expect(Number(limited.headers.get("retry-after"))).toBeGreaterThan(0);
    expect(await limited.json()).toMatchObject({ status: 429, type: expect.stringContaining("rate-limited") });

    expect((await me(standard.key)).status).toBe(200);
  }, 90_000);

  it("never serve more than the limit however many isolates lease from the window (overshoot 0)", async () => {
    const tenant = await createTenant({ tier: "standard" });
    await me(tenant.key);
    const subject = `key:${tenant.keyId}`;
    const stub = env.RATE_LIMITER.get(env.RATE_LIMITER.idFromName(subject));
    // Other isolates lease the rest of the window for themselves...
    let grants = 0;
    for (let lease = await stub.lease(600, 60, 50); lease.granted > 0; lease = await stub.lease(600, 60, 50))
      grants += lease.granted;
    // ...and this isolate, its own lease forgotten (a cold isolate), is refused: the object never
    // grants past the limit.
    forgetLeases();
    const refused = await me(tenant.key);
    expect(refused.status).toBe(429);
    expect(grants + leaseSize(600)).toBe(600);
  });

  it("a write refused by the quota never executes", async () => {
    const tenant = await createTenant({ tier: "standard" });
    const { token, user } = await userToken(tenant.customerId, "admin");
    const stub = env.RATE_LIMITER.get(env.RATE_LIMITER.idFromName(`user:${user.id}`));
    while ((await stub.lease(600, 60, 50)).granted > 0);
    forgetLeases();
    const response = await call("/v1/api-keys", {
      method: "POST",
      token,
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ name: "over quota", scopes: ["invoices:read"] }),
    });
    expect(response.status).toBe(429);
    const created = await asOwner((client) =>
      asCustomer(client, tenant.customerId, async () =>
        Number((await client.query("SELECT count(*) FROM api_keys WHERE name = 'over quota'")).rows[0]!.count),
      ),
    );
    expect(created).toBe(0);
  });

  it("warm requests decide in memory: the Durable Object is called about once per lease, off the request path", async () => {
    const tenant = await createTenant({ tier: "standard" });
    const stub = env.RATE_LIMITER.get(env.RATE_LIMITER.idFromName(`key:${tenant.keyId}`));
    await me(tenant.key); // the principal is cached and the first lease taken
    const before = await stub.calls();
    const requests = 120;
    for (let i = 0; i < requests; i++) expect((await me(tenant.key)).status).toBe(200);
    const calls = (await stub.calls()) - before;
    // 120 requests, leases of 30: about 4 top-ups, each in the background (waitUntil).
    expect(calls).toBeLessThanOrEqual(Math.ceil(requests / leaseSize(600)) + 1);
    expect(calls).toBeGreaterThan(0);
  });

  it("count session tokens against the key they were exchanged for", async () => {
    const tenant = await createTenant();
    const { session_token } = await (await call("/v1/auth/token", { method: "POST", token: tenant.key })).json<{
      session_token: string;
    }>();
    const viaKey = Number((await me(tenant.key)).headers.get("ratelimit-remaining"));
    const viaToken = Number((await me(session_token)).headers.get("ratelimit-remaining"));
    expect(viaToken).toBe(viaKey - 1);
  });
});
