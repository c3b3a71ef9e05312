// Which columns each login role may INSERT and UPDATE, read from the catalog for every table
// and view in public (table-level grants count for every column), against an explicit list: a
// new table or column is writable only once it is decided here. And the escalation the column
// grants and the staff-only trigger stop: a tenant admin making itself a super admin, or
// changing its own tier, tax rate or status (docs/security.md).
import { beforeAll, describe, expect, it } from "vitest";
import { asCustomer } from "../../dev/fixtures.ts";
import { asApiRole, asOwner } from "../helpers/database.ts";
import { createUser, type TestUser } from "../helpers/identity.ts";
import { createTenant, type TestTenant } from "../helpers/tenants.ts";
import { WRITABLE } from "./column-privileges.expected.ts";

type Grants = Record<string, Record<string, Record<string, string[]>>>;

async function writableColumns(): Promise<Grants> {
  const { rows } = await asOwner((client) =>
    client.query(`
      SELECT r.role, c.relname AS "table", p.privilege, array_agg(a.attname::text ORDER BY a.attnum) AS columns
      FROM unnest(ARRAY['sb_api', 'sb_auth', 'sb_jobs', 'sb_analytics']) r(role)
      CROSS JOIN unnest(ARRAY['INSERT', 'UPDATE']) p(privilege)
      CROSS JOIN pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
      WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p', 'v') AND c.relname <> 'schema_migrations'
        AND has_column_privilege(r.role, c.oid, a.attnum, p.privilege)
      GROUP BY 1, 2, 3 ORDER BY 1, 2, 3`),
  );
  const grants: Grants = { sb_analytics: {}, sb_api: {}, sb_auth: {}, sb_jobs: {} };
  for (const row of rows as { role: string; table: string; privilege: string; columns: string[] }[]) {
    ((grants[row.role] ??= {})[row.table] ??= {})[row.privilege] = row.columns;
  }
  return grants;
}

describe("column privileges (discovered from the catalog)", () => {
  it("every INSERT/UPDATE column grant of the login roles is the decided one", async () => {
    expect(await writableColumns()).toEqual(WRITABLE);
  });

  it("the request role cannot write a user's platform role, password hash or address, nor a customer's id or address", () => {
    const api = WRITABLE.sb_api!;
    for (const column of ["platform_role", "password_hash", "email", "customer_id", "id"]) {
      expect(api.users!.UPDATE).not.toContain(column);
    }
    for (const column of ["id", "email", "created_at"]) expect(api.customers!.UPDATE).not.toContain(column);
  });
});

describe("a tenant admin inside its own signed context", () => {
  let tenant: TestTenant;
  let admin: TestUser;
  beforeAll(async () => {
    tenant = await createTenant();
    admin = await createUser(tenant.customerId, { role: "admin" });
  });

  const attempt = (sql: string, values: unknown[] = [], superAdmin = false) =>
    asApiRole(async (client) => {
      try {
        await asCustomer(client, { customerId: tenant.customerId, userId: admin.id, role: "admin", superAdmin }, () =>
          client.query(sql, values),
        );
        return "changed";
      } catch (error) {
        return (error as { code: string }).code;
      }
    });

  const platformRole = async () =>
    (
      await asOwner((client) =>
        asCustomer(client, tenant.customerId, () =>
          client.query("SELECT platform_role FROM users WHERE id = $1", [admin.id]),
        ),
      )
    ).rows[0]!.platform_role;

  it("cannot make itself a super admin", async () => {
    expect(await attempt("UPDATE users SET platform_role = 'super_admin' WHERE id = $1", [admin.id])).toBe("42501");
    expect(await platformRole()).toBeNull();
  });

  it("cannot create a super admin user either", async () => {
    expect(
      await attempt(
        "INSERT INTO users (customer_id, email, name, role, platform_role) VALUES ($1, $2, 'Sneaky', 'admin', 'super_admin')",
        [tenant.customerId, `sneaky-${Date.now()}@example.com`],
      ),
    ).toBe("42501");
  });

  it.each([
    ["tier", "UPDATE customers SET tier = 'gov_federal' WHERE id = $1"],
    ["tax_rate_bps", "UPDATE customers SET tax_rate_bps = 0 WHERE id = $1"],
    ["status", "UPDATE customers SET status = 'closed' WHERE id = $1"],
  ])("cannot change its customer's %s", async (_column, sql) => {
    expect(await attempt(sql, [tenant.customerId])).toBe("42501");
  });

  it("cannot set another user's password, not even through app.set_own_password", async () => {
    const victim = await createUser(tenant.customerId, { role: "viewer" });
    const hash = (
      await asOwner((client) =>
        asCustomer(client, tenant.customerId, () =>
          client.query("SELECT password_hash FROM users WHERE id = $1", [admin.id]),
        ),
      )
    ).rows[0]!.password_hash as string;
    expect(await attempt("UPDATE users SET password_hash = $1 WHERE id = $2", [hash, victim.id])).toBe("42501");
    // The function writes only the context's own user: the victim's hash stays.
    expect(await attempt("SELECT app.set_own_password($1)", [hash])).toBe("changed");
    // Nor a plaintext by mistake: refused by the function, the hash above stays.
    expect(await attempt("SELECT app.set_own_password('plain text password')")).toBe("changed");
    const rows = await asOwner((client) =>
      asCustomer(client, tenant.customerId, () =>
        client.query("SELECT id, password_hash = $1 AS same FROM users WHERE id = ANY($2)", [
          hash,
          [admin.id, victim.id],
        ]),
      ),
    );
    expect(Object.fromEntries(rows.rows.map((r) => [r.id, r.same]))).toEqual({ [admin.id]: true, [victim.id]: false });
  });

  it("still may rename a user (an ordinary column)", async () => {
    expect(await attempt("UPDATE users SET name = 'Renamed' WHERE id = $1", [admin.id])).toBe("changed");
  });
});

describe("the database trigger, whatever the column grants", () => {
  it("refuses a platform role or commercial change outside a staff context even for a role that may write the column", async () => {
    const tenant = await createTenant();
    // sb_api may UPDATE customers.tier (staff change it through the API); without a staff
    // context the trigger refuses.
    const outcome = await asApiRole(async (client) => {
      try {
        await asCustomer(client, tenant.customerId, () =>
          client.query("UPDATE customers SET tier = 'fintech' WHERE id = $1", [tenant.customerId]),
        );
        return "changed";
      } catch (error) {
        return (error as Error).message;
      }
    });
    expect(outcome).toContain("can only be changed by SecureBase staff");
    const staff = await asApiRole(async (client) =>
      asCustomer(client, { customerId: tenant.customerId, superAdmin: true }, () =>
        client.query("UPDATE customers SET tier = 'fintech' WHERE id = $1 RETURNING tier", [tenant.customerId]),
      ),
    );
    expect(staff.rows).toEqual([{ tier: "fintech" }]);
  });
});
