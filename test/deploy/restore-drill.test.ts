// The restore drill (dev/restore-drill.ts, `npm run drill:restore`): a base backup of a running
// Postgres restored into a new server carries every row and intact audit chains, and the chain
// check names the event a tampered copy broke.
import { mkdtemp, rm } from "node:fs/promises";
import { join } from "node:path";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startDevDatabase, type DevDatabase } from "../../dev/dev-database.ts";
import { runRestoreDrill, seedAuditTrail, verifyAllChains } from "../../dev/restore-drill.ts";
import { freePort } from "../helpers/free-port.ts";

let root: string;
let db: DevDatabase;

beforeAll(async () => {
  root = await mkdtemp("/tmp/securebase-drill-");
  db = await startDevDatabase({ dataRoot: join(root, ".data"), pgPort: await freePort(), proxyPort: await freePort() });
  await seedAuditTrail(db.stack.adminUrl!, 25);
}, 120_000);

afterAll(async () => {
  await db?.stack.stop();
  if (db?.dataDir) await rm(db.dataDir, { recursive: true, force: true });
  await rm(root, { recursive: true, force: true });
});

async function admin<T>(work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: db.stack.adminUrl });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

describe("restore drill", () => {
  it("restores every table's rows into a new server with every customer's audit chain intact", async () => {
    const report = await runRestoreDrill({
      adminUrl: db.stack.adminUrl!,
      sourceDataDir: db.dataDir!,
      port: await freePort(),
    });
    expect(report.mismatches).toEqual([]);
    expect(report.tables).toBeGreaterThan(40);
    expect(report.chain.broken).toBeNull();
    expect(report.chain.customers).toBeGreaterThan(0);
    expect(report.chain.events).toBe(report.chain.customers * 25);
    expect(report.ok).toBe(true);
    expect(report.timings.total_ms).toBeGreaterThan(0);
  }, 120_000);

  it("names the first event whose content no longer matches its hash", async () => {
    const broken = await admin(async (client) => {
      const { rows } = await client.query<{ customer_id: string }>(
        "SELECT customer_id::text FROM audit_events ORDER BY customer_id LIMIT 1",
      );
      // The append-only trigger stops even the owner; a superuser can switch it off, as an attacker with disk access could.
      await client.query("ALTER TABLE audit_events DISABLE TRIGGER audit_events_no_update_delete");
      await client.query("UPDATE audit_events SET summary = 'rewritten' WHERE customer_id = $1 AND seq = 7", [
        rows[0]!.customer_id,
      ]);
      await client.query("ALTER TABLE audit_events ENABLE TRIGGER audit_events_no_update_delete");
      return { customer: rows[0]!.customer_id, check: await verifyAllChains(client) };
    });
    expect(broken.check.broken).toEqual({
      customer_id: broken.customer,
      seq: "7",
      reason: "hash does not match the event content",
    });
  });
});
