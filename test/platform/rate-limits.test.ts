// Per-key rate limits by tier, enforced by the RateLimiter Durable Object, with RateLimit-*
// headers on every limited response and Retry-After on 429.
import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { asCustomer } from "../../dev/fixtures.ts";
import { forgetLeases, leaseSize } from "../../worker/platform/rate-limit-client.ts";
import { asOwner } from "../helpers/database.ts";
import { userToken } from "../helpers/identity.ts";
import { call, createTenant, type TestTenant } from "../helpers/tenants.ts";
import { eventually } from "../helpers/wait.ts";

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
    // Other isolates have leased all but one lease's worth of the window (so this test sends
    // about 30 requests, not 600); what they hold counts as used.
    const stub = env.RATE_LIMITER.get(env.RATE_LIMITER.idFromName(`key:${spent.keyId}`));
    let elsewhere = 0;
    while (elsewhere < 600 - leaseSize(600)) elsewhere += (await stub.lease(600, 60, leaseSize(600))).granted;
    forgetLeases();
    // The token exchange: authenticated and limited like every route, but no database work.
    const exchange = () => call("/v1/auth/token", { method: "POST", token: spent.key });
    // The first request alone takes this isolate's lease (the window's last); then in parallel.
    let served = 0;
    let limited: Response | undefined;
    const count = (response: Response) => {
      if (response.status === 200) served++;
      else if (response.status === 429) limited ??= response;
      else throw new Error(`unexpected ${response.status}`);
    };
    count(await exchange());
    while (!limited) (await Promise.all(Array.from({ length: 10 }, exchange))).forEach(count);
    // Nothing is stranded: exactly the limit is served across the window.
    expect(served).toBe(leaseSize(600));
    expect(served + elsewhere).toBe(600);
    expect(limited.headers.get("content-type")).toBe("application/problem+json");
    expect(limited.headers.get("ratelimit-remaining")).toBe("0");
    expect(Number(limited.headers.get("retry-after"))).toBeGreaterThan(0);
    expect(await limited.json()).toMatchObject({ status: 429, type: expect.stringContaining("rate-limited") });

    expect((await me(standard.key)).status).toBe(200);
  });

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

  it("warm requests decide in memory: the Durable Object is asked once per lease, not once per request", async () => {
    const tenant = await createTenant({ tier: "standard" });
    const stub = env.RATE_LIMITER.get(env.RATE_LIMITER.idFromName(`key:${tenant.keyId}`));
    // The token exchange: limited like every route, no database work.
    const exchange = () => call("/v1/auth/token", { method: "POST", token: tenant.key });
    const lease = leaseSize(600);
    // A fresh window: the first request takes a lease of 30 and spends one.
    forgetLeases();
    const first = await exchange();
    expect(first.status).toBe(200);
    const asked = await stub.calls();
    expect(asked).toBe(1);

    // Spending the lease down to where a top-up starts (a quarter left) asks the object nothing:
    // every one of these was decided from the isolate's lease, and each still counts.
    const inMemory = lease - Math.floor(lease / 4) - 2;
    let remaining = Number(first.headers.get("ratelimit-remaining"));
    for (let i = 0; i < inMemory; i++) {
      const response = await exchange();
      expect(response.status).toBe(200);
      expect(Number(response.headers.get("ratelimit-remaining"))).toBe(--remaining);
    }
    expect(await stub.calls()).toBe(asked);

    // The next requests cross that mark: the isolate tops its lease up once, in the background.
    for (let i = 0; i < 3; i++) expect((await exchange()).status).toBe(200);
    await eventually(async () => expect(await stub.calls()).toBe(asked + 1));
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
