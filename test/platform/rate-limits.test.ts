// Per-key rate limits by tier, enforced by the RateLimiter Durable Object, with RateLimit-*
// headers on every limited response and Retry-After on 429.
import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { consumeRateLimit } from "../../worker/platform/rate-limit.ts";
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
    expect(Number(second.headers.get("ratelimit-remaining"))).toBe(Number(first.headers.get("ratelimit-remaining")) - 1);
    expect(Number(second.headers.get("ratelimit-reset"))).toBeGreaterThan(0);
    expect(Number(second.headers.get("ratelimit-reset"))).toBeLessThanOrEqual(60);
    expect((await me(fintech.key)).headers.get("ratelimit-limit")).toBe("1200");
  });

  it("answer 429 with Retry-After once the key's quota is spent, without touching other keys", async () => {
    const spent = await createTenant({ tier: "standard" });
    await me(spent.key); // learn the key id the limiter is keyed on
    const subject = `key:${spent.keyId}`;
    let last = await consumeRateLimit(env.RATE_LIMITER, subject, 600, 60);
    while (last.allowed) last = await consumeRateLimit(env.RATE_LIMITER, subject, 600, 60);

    const limited = await me(spent.key);
    expect(limited.status).toBe(429);
    expect(limited.headers.get("content-type")).toBe("application/problem+json");
    expect(limited.headers.get("ratelimit-remaining")).toBe("0");
    expect(Number(limited.headers.get("retry-after"))).toBeGreaterThan(0);
    expect(await limited.json()).toMatchObject({ status: 429, type: expect.stringContaining("rate-limited") });

    expect((await me(standard.key)).status).toBe(200);
  });

  it("count session tokens against the key they were exchanged for", async () => {
    const tenant = await createTenant();
    const { session_token } = await (await call("/v1/auth/token", { method: "POST", token: tenant.key })).json<{ session_token: string }>();
    const viaKey = Number((await me(tenant.key)).headers.get("ratelimit-remaining"));
    const viaToken = Number((await me(session_token)).headers.get("ratelimit-remaining"));
    expect(viaToken).toBe(viaKey - 1);
  });
});
