// Every function of ours, read from the catalog (so a function added later is held to the same
// rules): exactly the expected roles may EXECUTE it (PUBLIC never), every SECURITY DEFINER
// function searches pg_temp last, and no application role can create a temporary object to
// shadow what a definer reads (docs/security.md).
import { describe, expect, it } from "vitest";
import { as, asApiRole, asOwner } from "../helpers/database.ts";

/** The migrating role (it owns the tables and writes fixtures inside a context). */
const OWNER = "<owner>";
const CONTEXT_READERS = ["sb_analytics", "sb_api", "sb_auth", "sb_jobs"];

/** Function -> the roles besides its owner that may execute it. A new function must be added. */
const EXECUTE: Record<string, string[]> = {
  "app.context()": [OWNER, ...CONTEXT_READERS, "sb_status"],
  "app.current_customer_id()": [...CONTEXT_READERS, "sb_status"],
  "app.current_user_id()": CONTEXT_READERS,
  'app."current_role"()': CONTEXT_READERS,
  "app.is_super_admin()": [...CONTEXT_READERS, "sb_status"],
  "app.has_role(text)": CONTEXT_READERS,
  "app.has_permission(text)": ["sb_analytics", "sb_api", "sb_jobs"],
  "app.uuid_v7()": ["sb_api", "sb_jobs"],
  "app.resolve_api_key(bytea)": ["sb_api"],
  "app.find_login(text)": ["sb_api"],
  "app.find_invite(bytea)": ["sb_api"],
  "app.set_own_password(text)": ["sb_api"],
  "app.find_password_reset(bytea)": ["sb_api"],
  "app.use_token_once(uuid,text,timestamp with time zone)": ["sb_api"],
  "app.find_passkey_login(bytea)": ["sb_api"],
  "app.login_security(uuid)": ["sb_api"],
  "app.staff_member(uuid)": ["sb_api"],
  "app.subject_alive(uuid,uuid)": ["sb_api"],
  "app.resolve_platform_key(bytea)": ["sb_api"],
  "app.platform_key_alive(uuid)": ["sb_api"],
  "app.platform_status()": ["sb_api"],
  "app.platform_alerts(text,integer)": ["sb_api"],
  "app.audit_chain_append()": [],
  "app.derive_key_origin()": [],
  "app.audit_reject_change()": [],
  "app.audit_canonical(audit_events)": ["sb_analytics", "sb_api"],
  "app.verify_audit_chain()": ["sb_analytics", "sb_api"],
  "app.reserve_managed_account(text,text)": ["sb_api"],
  "app.release_managed_account(uuid)": ["sb_api"],
  "app.billing_lookback_months()": ["sb_analytics", "sb_api", "sb_jobs"],
  "app.billing_lines(date,uuid[])": ["sb_analytics", "sb_api", "sb_jobs"], // replaced in 0140 (tax status)
  "app.tax_note(text,text,text)": ["sb_analytics", "sb_api", "sb_jobs"],
  "app.snapshot_invoice_billing()": [],
  "app.require_billing_operator()": ["sb_api", "sb_jobs"],
  "app.issue_invoices(uuid,date,uuid[],integer,bigint)": ["sb_jobs"],
  "app.ingest_usage(jsonb)": ["sb_api"], // owner: sb_jobs
  "app.start_billing_run(date,boolean,text,text)": ["sb_api"], // owner: sb_jobs
  "app.billing_run_batch(uuid,uuid,integer)": ["sb_api"], // owner: sb_jobs
  "app.finish_billing_run(uuid,text)": ["sb_api"], // owner: sb_jobs
  "app.billing_runs_page(uuid,integer,uuid)": ["sb_api"], // owner: sb_jobs
  // settlement (db/migrations/0130_invoice_settlement.sql)
  "app.settle_on_issue()": [],
  "app.invoice_amount_due()": [],
  "app.lock_invoice(uuid)": [], // owner: sb_jobs
  "app.record_invoice_payment(uuid,bigint,text,text,timestamp with time zone,text,text,jsonb)": ["sb_api"], // owner: sb_jobs
  "app.void_invoice(uuid,text)": ["sb_api"], // owner: sb_jobs
  "app.mark_invoice_uncollectible(uuid,text)": ["sb_api"], // owner: sb_jobs
  "app.issue_credit_note(uuid,text,bigint,jsonb,text)": ["sb_api"], // owner: sb_jobs
  "app.find_invoice_customer(uuid,text)": ["sb_api"], // owner: sb_jobs
  // proration (db/migrations/0170_tier_proration.sql); app.billing_lines replaced again there
  "app.record_tier_change()": [], // owner: sb_jobs
  // dunning (db/migrations/0160_dunning.sql)
  "app.clear_past_due()": [], // owner: sb_jobs
  "app.refuse_unless_staff()": [],
  // exports and closure (db/migrations/0200_exports_closure.sql)
  "app.refuse_jurisdiction_change()": [],
  "app.issue_final_invoice(uuid)": ["sb_api"], // owner: sb_jobs
  "app.purge_closed_customer(uuid)": ["sb_api"],
  "app.closures_due(integer)": [], // owner: sb_jobs (the daily job)
  "app.hand_function_to(regprocedure,name)": [],
  "app.secure_tenant_table(regclass,text)": [],
  "app.grant_jobs_access(regclass,text[])": [],
  "app.reclaim_function(regprocedure)": [],
  "app.install_function(regprocedure,name,name[])": [],
  // alert acknowledgement (db/migrations/0250_residency_lookups_alert_ack.sql)
  "app.acknowledge_alert(uuid,text)": ["sb_api"], // owner: sb_jobs
};

interface FunctionRow {
  fn: string;
  owner: string;
  definer: boolean;
  config: string[] | null;
  grantees: string[];
}

/** Every function outside the system schemas that no extension installed. */
async function ourFunctions(): Promise<{ me: string; functions: FunctionRow[] }> {
  return asOwner(async (client) => {
    const { rows } = await client.query(`
      SELECT replace(p.oid::regprocedure::text, ', ', ',') AS fn, pg_get_userbyid(p.proowner) AS owner,
             p.prosecdef AS definer, p.proconfig AS config,
             coalesce((SELECT array_agg(DISTINCT CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE pg_get_userbyid(a.grantee)::text END)::text[]
                       FROM aclexplode(coalesce(p.proacl, acldefault('f', p.proowner))) a
                       WHERE a.privilege_type = 'EXECUTE' AND a.grantee <> p.proowner), '{}'::text[]) AS grantees
      FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
      WHERE n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_%'
        AND NOT EXISTS (SELECT 1 FROM pg_depend d
                        WHERE d.classid = 'pg_proc'::regclass AND d.objid = p.oid AND d.deptype = 'e')
      ORDER BY 1`);
    const me = (await client.query("SELECT current_user AS me")).rows[0]!.me as string;
    return { me, functions: rows as unknown as FunctionRow[] };
  });
}

describe("every function of ours (discovered from the catalog)", async () => {
  const { me, functions } = await ourFunctions();

  it("is found", () => {
    expect(functions.length).toBeGreaterThanOrEqual(30);
  });

  it("is executable by exactly the expected roles, never PUBLIC", () => {
    const actual = Object.fromEntries(functions.map((f) => [f.fn, [...f.grantees].sort()]));
    const expected = Object.fromEntries(
      Object.entries(EXECUTE).map(([fn, roles]) => [fn, roles.map((r) => (r === OWNER ? me : r)).sort()]),
    );
    expect(actual).toEqual(expected);
    for (const f of functions) expect(f.grantees, f.fn).not.toContain("PUBLIC");
  });

  it.each(functions.filter((f) => f.definer).map((f) => [f.fn, f] as const))(
    "%s (SECURITY DEFINER) pins search_path with pg_temp last",
    (_fn, f) => {
      const path = (f.config ?? []).find((c) => c.startsWith("search_path="));
      expect(path).toBeDefined();
      const schemas = path!
        .slice("search_path=".length)
        .split(",")
        .map((s) => s.trim());
      expect(schemas.at(-1)).toBe("pg_temp");
      expect(schemas[0]).toBe("pg_catalog");
    },
  );

  it("no definer creates temporary tables", async () => {
    const { rows } = await asOwner((client) =>
      client.query(`SELECT p.oid::regprocedure::text AS fn FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
                    WHERE n.nspname IN ('app', 'app_private', 'public') AND p.prosrc ~* 'create\\s+temp'`),
    );
    expect(rows).toEqual([]);
  });
});

describe("temporary objects", () => {
  it("no application role may create them in the database", async () => {
    const { rows } = await asOwner((client) =>
      client.query(
        `SELECT r AS role, has_database_privilege(r, current_database(), 'TEMPORARY') AS temp
         FROM unnest(ARRAY['public', 'sb_api', 'sb_analytics', 'sb_jobs', 'sb_auth', 'sb_context', 'sb_status']) r`,
      ),
    );
    expect(rows.filter((r) => r.temp)).toEqual([]);
  });

  it("the API role cannot create a temporary view to shadow users under app.find_login", async () => {
    const outcome = await asApiRole(async (api) => {
      try {
        await api.query(
          "CREATE TEMP VIEW users AS SELECT id, customer_id, email, name, role, 'super_admin'::text AS platform_role, status, password_hash FROM public.users",
        );
        return { created: true };
      } catch (error) {
        return { code: (error as { code: string }).code };
      }
    });
    expect(outcome).toEqual({ code: "42501" });
  });

  it("the analytics role cannot read a password hash through app.find_login", async () => {
    const outcome = await as("analytics", async (analytics) => {
      try {
        await analytics.query("SELECT password_hash FROM app.find_login('nobody@example.com')");
        return "called";
      } catch (error) {
        return (error as { code: string }).code;
      }
    });
    expect(outcome).toBe("42501");
  });
});
