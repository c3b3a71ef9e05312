// audit_events: append-only for every role (trigger), one hash chain per customer, and a
// verification function that finds the first broken link.
import { beforeAll, describe, expect, it } from "vitest";
import { asCustomer, createCustomer, type FixtureClient } from "../../dev/fixtures.ts";
import { as, asApiRole, asOwner, connect, databaseUrl } from "../helpers/database.ts";

async function newCustomer(tag: string): Promise<string> {
  return asOwner((client) =>
    createCustomer(client, { name: `Audit ${tag}`, email: `audit-${tag}-${Date.now()}@example.com`, tier: "fintech" }),
  );
}

async function appendAudit(
  client: FixtureClient,
  customerId: string,
  action: string,
  data: Record<string, unknown> = {},
) {
  return asCustomer(client, customerId, () =>
    client.query(
      `INSERT INTO audit_events (customer_id, actor_type, actor_id, action, resource_type, resource_id, request_id, ip, user_agent, summary, data)
       VALUES ($1, 'api_key', 'key_1', $2, 'invoice', 'inv_1', 'req-1', '203.0.113.7', 'curl/8', 'did a thing', $3)
       RETURNING seq`,
      [customerId, action, JSON.stringify(data)],
    ),
  );
}

async function verify(customerId: string) {
  return asApiRole((client) =>
    asCustomer(client, customerId, async () => (await client.query("SELECT * FROM app.verify_audit_chain()")).rows[0]),
  );
}

let customer: string;
beforeAll(async () => {
  customer = await newCustomer("main");
  await asApiRole(async (client) => {
    for (let i = 0; i < 5; i++) await appendAudit(client, customer, "invoice.viewed", { i });
  });
});

describe("audit chain", () => {
  it("numbers events 1..n per customer and verifies clean", async () => {
    expect(await verify(customer)).toEqual({
      valid: true,
      checked: "5",
      first_broken_seq: null,
      first_broken_id: null,
      reason: null,
    });
  });

  it("stays one unbroken chain under concurrent appends from separate connections", async () => {
    const busy = await newCustomer("concurrent");
    await Promise.all(
      Array.from({ length: 20 }, (_, i) => asApiRole((client) => appendAudit(client, busy, "key.used", { i }))),
    );
    const result = await verify(busy);
    expect(result).toMatchObject({ valid: true, checked: "20" });
  });

  it("finds the first tampered event (tampered by a superuser bypassing the triggers)", async () => {
    const victim = await newCustomer("tampered");
    await asApiRole(async (client) => {
      for (let i = 0; i < 6; i++) await appendAudit(client, victim, "api_key.created", { i });
    });
    const admin = await connect(databaseUrl("admin"));
    try {
      await admin.query("SET session_replication_role = replica");
      await admin.query("UPDATE audit_events SET summary = 'nothing to see' WHERE customer_id = $1 AND seq IN (3, 5)", [
        victim,
      ]);
    } finally {
      await admin.end();
    }
    const result = await verify(victim);
    expect(result).toMatchObject({
      valid: false,
      first_broken_seq: "3",
      reason: "hash does not match the event content",
    });
  });
});

describe("audit_events is append-only", () => {
  it.each([
    ["UPDATE", "UPDATE audit_events SET summary = 'x'"],
    ["DELETE", "DELETE FROM audit_events"],
    ["TRUNCATE", "TRUNCATE audit_events"],
  ])("the API role cannot %s", async (_op, sql) => {
    const code = await asApiRole((client) =>
      asCustomer(client, customer, () => client.query(sql)).then(
        () => "ok",
        (e: { code: string }) => e.code,
      ),
    );
    expect(code).toBe("42501");
  });

  it.each([
    ["UPDATE", "UPDATE audit_events SET summary = 'x' WHERE customer_id = $1"],
    ["DELETE", "DELETE FROM audit_events WHERE customer_id = $1"],
    ["TRUNCATE", "TRUNCATE audit_events"],
  ])("the owner cannot %s either (trigger)", async (_op, sql) => {
    const error = await as("owner", (client) =>
      asCustomer(client, customer, () => client.query(sql, sql.includes("$1") ? [customer] : [])).then(
        () => "ok",
        (e: Error) => e.message,
      ),
    );
    expect(error).toMatch(/append-only/);
    expect(await verify(customer)).toMatchObject({ valid: true, checked: "5" });
  });

  it("shows each customer only its own events through the activity feed", async () => {
    const other = await newCustomer("feed");
    await asApiRole((client) => appendAudit(client, other, "ticket.created"));
    const rows = await asApiRole((client) =>
      asCustomer(client, other, async () => (await client.query("SELECT customer_id, action FROM activity_feed")).rows),
    );
    expect(rows).toEqual([{ customer_id: other, action: "ticket.created" }]);
  });
});
