// A validated API key's principal is cached (isolate memory in front of KV), so a warm request
// does no database work for auth. Proved with the WebSocket proxy's counters: the proxy sees
// every Postgres connection and round trip, per database user; requests use sb_api (the jobs
// role's background work, e.g. recording key usage, is counted apart).
import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { hashApiKey } from "../../worker/auth/api-key.ts";
import { principalKvKey } from "../../worker/auth/principal-cache.ts";
import { proxySettled } from "../helpers/database.ts";
import { call, createTenant, type TestTenant } from "../helpers/tenants.ts";

async function measure(
  work: () => Promise<Response>,
): Promise<{ status: number; connections: number; roundTrips: number }> {
  // The connection is closed and the KV write happens after the response (ctx.waitUntil).
  const before = await proxySettled();
  const response = await work();
  await response.arrayBuffer();
  const after = await proxySettled();
  const api = (stats: typeof before) => stats.byUser.sb_api ?? { connections: 0, roundTrips: 0 };
  return {
    status: response.status,
    connections: api(after).connections - api(before).connections,
    roundTrips: api(after).roundTrips - api(before).roundTrips,
  };
}

let tenant: TestTenant;
beforeAll(async () => {
  tenant = await createTenant({ invoices: 2 });
});

describe("API-key principal cache", () => {
  it("looks a key up in Postgres once, then serves it from the cache with no database connection", async () => {
    const cold = await measure(() => call("/v1/auth/token", { method: "POST", token: tenant.key }));
    expect(cold).toMatchObject({ status: 200, connections: 1 });
    expect(cold.roundTrips).toBeGreaterThanOrEqual(1);

    const warm = await measure(() => call("/v1/auth/token", { method: "POST", token: tenant.key }));
    expect(warm).toEqual({ status: 200, connections: 0, roundTrips: 0 });
  });

  it("stores the principal in KV under the key's hash, never the key", async () => {
    const hash = await hashApiKey(tenant.key);
    const stored = await env.AUTH_CACHE.get<Record<string, unknown>>(principalKvKey(hash), "json");
    expect(stored).toMatchObject({
      generation: expect.any(String),
      principal: { customerId: tenant.customerId, keyId: tenant.keyId, kind: "api_key" },
    });
    const { keys } = await env.AUTH_CACHE.list();
    expect(keys.some((k) => k.name.includes(tenant.key))).toBe(false);
  });

  it("spends fewer round trips on a warm GET /v1/invoices than on a cold one", async () => {
    const fresh = await createTenant({ invoices: 2 });
    const cold = await measure(() => call("/v1/invoices", { token: fresh.key }));
    const warm = await measure(() => call("/v1/invoices", { token: fresh.key }));
    expect(cold.status).toBe(200);
    expect(warm.status).toBe(200);
    // Warm: the tenant transaction only (BEGIN + context pipelined with start-up, the query, COMMIT).
    expect(warm.connections).toBe(1);
    expect(warm.roundTrips).toBe(cold.roundTrips - 1);
    expect(warm.roundTrips).toBeLessThanOrEqual(3);
  });

  it("checks on every write that the cached key still exists, in the transaction's first round trip", async () => {
    const writer = await createTenant({ scopes: ["api_keys:write", "invoices:read"] });
    const create = (name: string) =>
      call("/v1/api-keys", {
        method: "POST",
        token: writer.key,
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ name, scopes: ["invoices:read"] }),
      });
    await measure(() => create("warm-up")); // caches the principal
    const warm = await measure(() => create("warm write"));
    // Start + BEGIN, context and the subject check in one flight; the INSERT; audit + outbox + COMMIT.
    expect(warm).toEqual({ status: 201, connections: 1, roundTrips: 3 });
  });
});
