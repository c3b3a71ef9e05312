// Tenant isolation is enforced by Postgres, not by WHERE clauses: these tests run queries as the
// API's request role (sb_api) and show that forgetting the tenant filter, or having no tenant
// context at all, still never shows another customer's rows.
import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { eq } from "drizzle-orm";
import { asCustomer } from "../../dev/fixtures.ts";
import { apiKeys, invoiceLineItems, invoices } from "../../db/schema.ts";
import { RequestDatabase } from "../../worker/platform/database.ts";
import { asApiRole, asOwner } from "../helpers/database.ts";
import { createTenant, type TestTenant } from "../helpers/tenants.ts";

let alice: TestTenant;
let bob: TestTenant;
beforeAll(async () => {
  alice = await createTenant({ invoices: 3 });
  bob = await createTenant({ invoices: 2 });
});

async function inTenant<T>(
  customerId: string,
  mode: "read" | "write",
  work: Parameters<RequestDatabase["tenant"]>[2],
): Promise<T> {
  const db = new RequestDatabase(env);
  try {
    return (await db.tenant({ customerId }, mode, work)) as T;
  } finally {
    await db.close();
  }
}

describe("the request entry point's tenant transaction", () => {
  it("returns only the caller's rows from a query that deliberately omits the tenant filter", async () => {
    const rows = await inTenant<{ id: string; customerId: string }[]>(alice.customerId, "read", (db) =>
      db.select().from(invoices),
    );
    expect(rows.length).toBeGreaterThan(0);
    expect(new Set(rows.map((r) => r.customerId))).toEqual(new Set([alice.customerId]));
    expect(rows.map((r) => r.id).sort()).toEqual([...alice.invoiceIds].sort());

    const items = await inTenant<{ customerId: string }[]>(bob.customerId, "read", (db) =>
      db.select().from(invoiceLineItems),
    );
    expect(new Set(items.map((r) => r.customerId))).toEqual(new Set([bob.customerId]));
  });

  it("cannot update or delete another tenant's rows (0 rows affected)", async () => {
    const updated = await inTenant<unknown[]>(alice.customerId, "write", (db) =>
      db.update(apiKeys).set({ name: "hijacked" }).returning({ id: apiKeys.id }),
    );
    expect(updated).toHaveLength(1); // alice's own key only
    const { rows } = await asOwner((client) =>
      asCustomer(client, bob.customerId, () => client.query("SELECT name FROM api_keys WHERE id = $1", [bob.keyId])),
    );
    expect(rows[0]!.name).not.toBe("hijacked");
    // Invoices are not the API's to delete at all: the grant is missing before RLS is asked.
    await expect(
      inTenant(alice.customerId, "write", (db) => db.delete(invoices).where(eq(invoices.id, bob.invoiceIds[0]!))),
    ).rejects.toMatchObject({ cause: { message: expect.stringMatching(/permission denied/) } });
  });

  it("rejects inserting a row that names another tenant", async () => {
    await expect(
      inTenant(alice.customerId, "write", (db) =>
        db.insert(apiKeys).values({
          customerId: bob.customerId,
          name: "planted",
          mode: "test",
          prefix: "sb_test_xxxxxx",
          keyHash: new Uint8Array(32).fill(7),
          scopes: ["invoices:read"],
        }),
      ),
    ).rejects.toMatchObject({ cause: { message: expect.stringMatching(/violates row-level security policy/) } });
  });

  it("sets the context only for its own transaction", async () => {
    const db = new RequestDatabase(env);
    try {
      await db.tenant({ customerId: alice.customerId }, "write", async () => undefined);
      const [after] = await db.system<{ context: string | null }>("SELECT app.current_customer_id() AS context");
      expect(after!.context).toBeNull();
      expect(await db.system("SELECT id FROM invoices")).toEqual([]);
    } finally {
      await db.close();
    }
  });

  it("refuses a customer id that is not a uuid before it reaches SQL", async () => {
    const db = new RequestDatabase(env);
    try {
      await expect(db.tenant({ customerId: "x'); SELECT 1; --" }, "read", async () => undefined)).rejects.toThrow(
        /uuid/,
      );
    } finally {
      await db.close();
    }
  });
});

describe("the request role without tenant context", () => {
  it.each(["customers", "api_keys", "invoices", "invoice_line_items"])("sees no rows in %s", async (table) => {
    const { rows } = await asApiRole((client) => client.query(`SELECT count(*)::int AS n FROM ${table}`));
    expect(rows[0]).toEqual({ n: 0 });
  });

  it("has no right to bypass RLS, owns nothing, and cannot read the platform tables", async () => {
    const { rows } = await asApiRole((client) =>
      client.query("SELECT rolbypassrls, rolsuper FROM pg_roles WHERE rolname = current_user"),
    );
    expect(rows[0]).toEqual({ rolbypassrls: false, rolsuper: false });
    const owned = await asApiRole((client) =>
      client.query("SELECT count(*)::int AS n FROM pg_tables WHERE tableowner = current_user"),
    );
    expect(owned.rows[0]).toEqual({ n: 0 });
    await expect(asApiRole((client) => client.query("SELECT * FROM job_runs"))).rejects.toThrow(/permission denied/);
  });

  it("can resolve a key only through the SECURITY DEFINER lookup, by its hash", async () => {
    const { rows } = await asApiRole((client) =>
      client.query("SELECT customer_id FROM app.resolve_api_key(decode(repeat('00', 32), 'hex'))"),
    );
    expect(rows).toEqual([]);
  });
});

describe("the catalog", () => {
  it("has RLS enabled and forced, with a policy per operation, on every table with customer_id", async () => {
    const { rows } = await asOwner((client) =>
      client.query(`
        SELECT c.relname AS table, c.relrowsecurity AS enabled, c.relforcerowsecurity AS forced,
               array(SELECT DISTINCT p.polcmd FROM pg_policy p WHERE p.polrelid = c.oid ORDER BY 1)::text[] AS commands
        FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = 'public' AND c.relkind = 'r'
          AND (EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attname = 'customer_id' AND NOT a.attisdropped)
               OR c.relname = 'customers')`),
    );
    expect(rows.length).toBeGreaterThanOrEqual(4);
    for (const row of rows) {
      expect(row, String(row.table)).toMatchObject({ enabled: true, forced: true });
      expect(row.commands, String(row.table)).toEqual(expect.arrayContaining(["a", "d", "r", "w"]));
    }
  });
});
