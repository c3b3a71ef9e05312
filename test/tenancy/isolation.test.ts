// For every tenant table: tenant A, as the API's request role, tries to read, change, delete and
// plant tenant B's rows. Each attempt must affect 0 rows or be rejected by Postgres. Without a
// context every role sees nothing. The tables come from the catalog, so new ones are covered.
import { beforeAll, describe, expect, it } from "vitest";
import { asCustomer, createApiKey, createCustomer, createInvoice, standardLines } from "../../dev/fixtures.ts";
import { as, asOwner, type Role } from "../helpers/database.ts";
import { populateEveryTable } from "../helpers/every-table.ts";
import { tenantTables } from "../helpers/catalog.ts";

const tables = await tenantTables();
let a: string;
let b: string;

/** Rows of `table` visible with `customerId`'s context, as `role`; "denied" if it may not read it. */
async function visibleRows(
  role: Role,
  customerId: string | null,
  table: string,
  where = "true",
  values: unknown[] = [],
) {
  return as(role, async (client) => {
    const run = () => client.query(`SELECT count(*)::int AS n FROM ${table} WHERE ${where}`, values);
    try {
      const { rows } = customerId ? await asCustomer(client, customerId, run) : await run();
      return rows[0]!.n as number;
    } catch (error) {
      if ((error as { code: string }).code === "42501") return "denied" as const;
      throw error;
    }
  });
}

const nothing = [0, "denied"];

/** The SQLSTATE of running `sql` as the API role in A's context, or the affected row count. */
async function attempt(sql: string, values: unknown[]): Promise<{ rowCount: number } | { code: string }> {
  return as("api", async (client) => {
    try {
      const result = await asCustomer(client, a, () => client.query(sql, values));
      return { rowCount: (result as unknown as { rowCount: number }).rowCount };
    } catch (error) {
      return { code: (error as { code: string }).code };
    }
  });
}

beforeAll(async () => {
  const tag = Date.now().toString(36);
  const ids = await asOwner(async (client) => {
    const ids: string[] = [];
    for (const name of ["A", "B"]) {
      const id = await createCustomer(client, {
        name: `Isolation ${name}`,
        email: `iso-${name.toLowerCase()}-${tag}@example.com`,
        tier: "standard",
      });
      await createApiKey(client, id);
      await createInvoice(client, id, {
        number: `SB-ISO-${name}-${tag}`,
        periodStart: "2026-01-01",
        periodEnd: "2026-02-01",
        status: "open",
        lines: standardLines(200_000, 10, 10),
      });
      await populateEveryTable(client, id, `${name.toLowerCase()}-${tag}`);
      ids.push(id);
    }
    return ids;
  });
  [a, b] = [ids[0]!, ids[1]!];
});

describe.each(tables.map((t) => [t.name, t.key] as const))("%s", (table, key) => {
  it("has fixture rows for both tenants (the suite attacks real rows)", async () => {
    expect(await visibleRows("owner", b, table)).toBeGreaterThan(0);
    expect(await visibleRows("owner", a, table)).toBeGreaterThan(0);
  });

  it("A cannot see B's rows, even when asking for them by customer id", async () => {
    expect(await visibleRows("api", a, table, `${key} = $1`, [b])).toBe(0);
    expect(nothing).toContain(await visibleRows("analytics", a, table, `${key} = $1`, [b]));
  });

  it("A's UPDATE and DELETE of B's rows affect 0 rows or are refused", async () => {
    const before = await visibleRows("owner", b, table);
    for (const sql of [
      `UPDATE ${table} SET ${key} = ${key} WHERE ${key} = $1`,
      `DELETE FROM ${table} WHERE ${key} = $1`,
    ]) {
      const outcome = await attempt(sql, [b]);
      if ("code" in outcome) expect(outcome.code, sql).toBe("42501");
      else expect(outcome.rowCount, sql).toBe(0);
    }
    expect(await visibleRows("owner", b, table)).toBe(before);
  });

  it("A cannot insert a row that belongs to B", async () => {
    const row = await as("owner", (client) =>
      asCustomer(
        client,
        b,
        async () => (await client.query(`SELECT row_to_json(t) AS row FROM ${table} t LIMIT 1`)).rows[0]!.row,
      ),
    );
    // A copy of B's row with fresh unique values where the table has them; it still names B.
    const copy = { ...(row as Record<string, unknown>) };
    if ("id" in copy && table !== "customers") copy.id = crypto.randomUUID();
    const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
    for (const unique of ["event_id", "key", "email", "number", "aws_account_id"]) {
      if (!(unique in copy)) continue;
      copy[unique] = uuid.test(String(copy[unique]))
        ? crypto.randomUUID()
        : unique === "aws_account_id"
          ? "999999999999"
          : `${copy[unique]}-planted`;
    }
    if ("token_hash" in copy || "key_hash" in copy)
      copy["token_hash" in copy ? "token_hash" : "key_hash"] = `\\x${"ab".repeat(32)}`;
    const outcome = await attempt(`INSERT INTO ${table} SELECT * FROM json_populate_record(NULL::${table}, $1)`, [
      JSON.stringify(copy),
    ]);
    expect(outcome).toEqual({ code: "42501" }); // RLS WITH CHECK violation or no INSERT grant
  });

  it("without a tenant context, the API and analytics roles see no rows at all", async () => {
    expect(await visibleRows("api", null, table)).toBe(0);
    expect(nothing).toContain(await visibleRows("analytics", null, table));
  });
});
