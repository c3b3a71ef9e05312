// The tenancy rules of docs/data-model.md, checked on the live catalog, so a table added later without
// them fails the build: RLS enabled and forced, a policy per operation on the context (read
// once per statement), an index that leads with the policy column, and least-privilege roles.
import { describe, expect, it } from "vitest";
import { tenantTables } from "../helpers/catalog.ts";
import { asOwner } from "../helpers/database.ts";

const commands = { r: "SELECT", a: "INSERT", w: "UPDATE", d: "DELETE" } as const;

describe("every tenant table (discovered from the catalog)", async () => {
  const tables = await tenantTables();

  it("is found: the discovery sees the whole data model", () => {
    expect(tables.length).toBeGreaterThanOrEqual(24);
  });

  it.each(tables.map((t) => [t.name, t] as const))(
    "%s: customer_id NOT NULL, RLS enabled and forced",
    async (_name, table) => {
      expect(table).toMatchObject({ enabled: true, forced: true });
      const { rows } = await asOwner((client) =>
        client.query("SELECT is_nullable FROM information_schema.columns WHERE table_name = $1 AND column_name = $2", [
          table.name,
          table.key,
        ]),
      );
      expect(rows).toEqual([{ is_nullable: "NO" }]);
    },
  );

  it.each(tables.map((t) => [t.name, t] as const))(
    "%s: a PUBLIC policy per operation keyed on the context, evaluated once per statement",
    (_name, table) => {
      const keyed = `(${table.key} = ( SELECT app.current_customer_id() AS current_customer_id))`;
      // SecureBase staff's own policies (a signed super_admin context) are the only other PUBLIC ones.
      const staff = "( SELECT app.is_super_admin() AS is_super_admin)";
      const exprs = (p: (typeof table.policies)[number]) => [p.qual, p.check].filter((e) => e !== null);
      for (const [cmd, label] of Object.entries(commands)) {
        // pg_policy has no order: find the tenant policy by what it says, not by position.
        const open = table.policies.filter((p) => p.cmd === cmd && p.permissive && p.roles.includes("public"));
        const tenant = open.filter((p) => exprs(p).length > 0 && exprs(p).every((e) => e === keyed));
        expect(tenant, `${table.name} ${label}`).toHaveLength(1);
        for (const other of open.filter((p) => !tenant.includes(p)))
          for (const expr of exprs(other)) expect(expr, `${table.name} ${label}: a PUBLIC policy`).toBe(staff);
      }
      // Every other permissive policy is scoped to a named internal role, never PUBLIC.
      const extra = table.policies.filter((p) => p.permissive && p.roles.includes("public") && !(p.cmd in commands));
      expect(extra).toEqual([]);
      for (const p of table.policies.filter((p) => p.permissive && !p.roles.includes("public"))) {
        expect(["sb_jobs", "sb_auth", "sb_status"]).toEqual(expect.arrayContaining(p.roles));
      }
    },
  );

  it.each(tables.map((t) => [t.name, t] as const))(
    "%s: has an index that leads with the policy column",
    (_name, table) => {
      expect(table.leading_index).toBe(true);
    },
  );
});

describe("database roles", () => {
  const privileges = async (role: string) =>
    (
      await asOwner((client) =>
        client.query(
          `SELECT table_name, privilege_type FROM information_schema.role_table_grants
           WHERE grantee = $1 AND table_schema = 'public' ORDER BY 1, 2`,
          [role],
        ),
      )
    ).rows as { table_name: string; privilege_type: string }[];

  it("no login role but the bootstrap superuser can bypass RLS, and the API role owns nothing", async () => {
    const { rows } = await asOwner((client) =>
      client.query("SELECT rolname FROM pg_roles WHERE rolname LIKE 'sb_%' AND (rolbypassrls OR rolsuper)"),
    );
    expect(rows).toEqual([]);
    const owned = await asOwner((client) =>
      client.query("SELECT tablename FROM pg_tables WHERE tableowner IN ('sb_api', 'sb_analytics', 'sb_jobs')"),
    );
    expect(owned.rows).toEqual([]);
  });

  it("the API role may only append to audit_events", async () => {
    const audit = (await privileges("sb_api"))
      .filter((p) => p.table_name === "audit_events")
      .map((p) => p.privilege_type);
    expect(audit.sort()).toEqual(["INSERT", "SELECT"]);
  });

  it("the analytics role can only read", async () => {
    const kinds = new Set((await privileges("sb_analytics")).map((p) => p.privilege_type));
    expect([...kinds]).toEqual(["SELECT"]);
  });

  it("no login role can assume another role, and nobody holds the definer roles' rights (or policies)", async () => {
    const { rows } = await asOwner((client) =>
      client.query(
        `SELECT m.rolname AS member, r.rolname AS role
         FROM pg_roles m CROSS JOIN pg_roles r
         WHERE m.rolname IN (current_user, 'sb_api', 'sb_analytics', 'sb_jobs')
           AND r.rolname LIKE 'sb\\_%' AND r.rolname <> m.rolname
           AND (r.rolname IN ('sb_auth', 'sb_context', 'sb_status') OR m.rolname <> current_user)
           AND (pg_has_role(m.oid, r.oid, 'USAGE') OR pg_has_role(m.oid, r.oid, 'SET'))`,
      ),
    );
    expect(rows).toEqual([]);
  });

  it("the API role cannot read the context keys or the audit chain heads", async () => {
    const { rows } = await asOwner((client) =>
      client.query(
        `SELECT has_schema_privilege('sb_api', 'app_private', 'USAGE') AS api,
                has_schema_privilege('sb_analytics', 'app_private', 'USAGE') AS analytics,
                has_schema_privilege('sb_jobs', 'app_private', 'USAGE') AS jobs`,
      ),
    );
    expect(rows[0]).toEqual({ api: false, analytics: false, jobs: false });
  });
});
