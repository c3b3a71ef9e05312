// Postgres hangs, or the WebSocket proxy goes away: requests end within the client timeouts
// with a 503/504 problem and Retry-After (never a hang, never a 500), writes are all-or-nothing
// (a key exists only with its audit row), and service comes back by itself.
import { env } from "cloudflare:workers";
import { afterEach, beforeAll, describe, expect, inject, it } from "vitest";
import { asCustomer } from "../../dev/fixtures.ts";
import { DATABASE_TIMEOUTS } from "../../worker/platform/database-errors.ts";
import { RequestDatabase } from "../../worker/platform/database.ts";
import { asOwner, databaseUrl } from "../helpers/database.ts";
import { userToken } from "../helpers/identity.ts";
import { call, createTenant, type TestTenant } from "../helpers/tenants.ts";

const fault = (action: "postgres/freeze" | "postgres/thaw" | "proxy/stop" | "proxy/start") =>
  fetch(`${inject("faultControlUrl")}/${action}`, { method: "POST" }).then((r) => {
    if (r.status !== 204) throw new Error(`fault ${action}: ${r.status}`);
  });

let tenant: TestTenant;
let token: string;
beforeAll(async () => {
  tenant = await createTenant({ tier: "gov_federal", invoices: 1 });
  token = (await userToken(tenant.customerId, "admin")).token;
});
afterEach(async () => {
  await fault("postgres/thaw");
  await fault("proxy/start");
});

async function expectUnavailable(response: Response): Promise<void> {
  expect([503, 504]).toContain(response.status);
  expect(response.headers.get("content-type")).toBe("application/problem+json");
  expect(Number(response.headers.get("retry-after"))).toBeGreaterThan(0);
  const body = await response.text();
  expect(body).not.toMatch(/postgres:\/\/|sb_api|127\.0\.0\.1|stack/i);
}

const createKey = (name: string) =>
  call("/v1/api-keys", {
    method: "POST",
    token,
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ name, scopes: ["invoices:read"] }),
  });

describe("Postgres frozen", () => {
  it("reads and writes end in a 503/504 within the client timeouts; /health says 503 in ~2 s; then service resumes", async () => {
    expect((await call("/v1/invoices", { token: tenant.key })).status).toBe(200);
    await fault("postgres/freeze");

    const bound = DATABASE_TIMEOUTS.connectMs + DATABASE_TIMEOUTS.queryMs + 2_000;
    let started = Date.now();
    const [read, write, health] = await Promise.all([
      call("/v1/invoices", { token: tenant.key }),
      createKey("during freeze"),
      call("/health"),
    ]);
    expect(Date.now() - started).toBeLessThan(bound);
    await expectUnavailable(read);
    await expectUnavailable(write);
    expect(health.status).toBe(503);

    await fault("postgres/thaw");
    started = Date.now();
    expect((await call("/v1/invoices", { token: tenant.key })).status).toBe(200);
    expect((await call("/health")).status).toBe(200);
    const keys = await asOwner((client) =>
      asCustomer(
        client,
        tenant.customerId,
        async () => (await client.query("SELECT count(*) FROM api_keys WHERE name = 'during freeze'")).rows[0]!.count,
      ),
    );
    expect(Number(keys)).toBe(0);
  }, 40_000);
});

describe("WebSocket proxy gone", () => {
  it("requests get a 503 at once, and succeed again when it is back", async () => {
    await fault("proxy/stop");
    const started = Date.now();
    await expectUnavailable(await call("/v1/invoices", { token: tenant.key }));
    expect(Date.now() - started).toBeLessThan(DATABASE_TIMEOUTS.connectMs + 1_000);
    await fault("proxy/start");
    expect((await call("/v1/invoices", { token: tenant.key })).status).toBe(200);
  });

  it("closing a connection the proxy already dropped settles at once (client.end() alone waits for an 'end' that never comes)", async () => {
    const db = new RequestDatabase({ ...env, DATABASE_URL: databaseUrl("api") });
    expect(await db.system<{ one: number }>("SELECT 1 AS one")).toEqual([{ one: 1 }]);
    await fault("proxy/stop");
    await new Promise((r) => setTimeout(r, 300)); // the socket's close reaches the driver
    const started = Date.now();
    await db.close();
    expect(Date.now() - started).toBeLessThan(1_000);
  });

  it("writes cut off mid-load are all-or-nothing: every key that exists has its audit row", async () => {
    const names = Array.from({ length: 10 }, (_, i) => `mid-load ${i} ${crypto.randomUUID()}`);
    const inFlight = names.map((name, i) => new Promise((r) => setTimeout(r, i * 8)).then(() => createKey(name)));
    await new Promise((r) => setTimeout(r, 40));
    await fault("proxy/stop");
    const responses = await Promise.all(inFlight);
    await fault("proxy/start");

    for (const response of responses) {
      expect(response.status === 201 || [503, 504].includes(response.status), `status ${response.status}`).toBe(true);
    }
    const rows = await asOwner((client) =>
      asCustomer(
        client,
        tenant.customerId,
        async () =>
          (
            await client.query(
              `SELECT k.name, (SELECT count(*) FROM audit_events a WHERE a.resource_id = k.id::text AND a.action = 'api_key.created') AS audits
               FROM api_keys k WHERE k.name = ANY($1)`,
              [names],
            )
          ).rows as { name: string; audits: string }[],
      ),
    );
    for (const row of rows) expect(Number(row.audits), row.name).toBe(1);
    // Every 201 was committed.
    const created = responses.filter((r) => r.status === 201).length;
    expect(rows.length).toBeGreaterThanOrEqual(created);
  }, 40_000);
});
