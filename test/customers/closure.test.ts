// Closing a customer (docs/exports-closure.md): staff, or the customer's admin with its name typed,
// revoke every key and session, disable webhooks, issue the final invoice, set `closed`; each
// step audited and recorded, resumable after a crash; the daily job deletes the rows after the
// grace period but keeps the audit trail.
import { createScheduledController } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import worker from "../../worker/index.ts";
import { runClosure } from "../../worker/customers/closure.ts";
import { asOwner } from "../helpers/database.ts";
import { populateEveryTable } from "../helpers/every-table.ts";
import { expectProblem, send, type Schemas } from "../helpers/http.ts";
import { staffToken, userToken } from "../helpers/identity.ts";
import { owner } from "../helpers/invites.ts";
import { createTenant, type TestTenant } from "../helpers/tenants.ts";

type Closure = Schemas["Closure"];
const STEPS = ["revoke_api_keys", "end_sessions", "disable_webhooks", "final_invoice", "set_closed"];

let staff: string;
beforeAll(async () => {
  staff = (await staffToken()).token;
});

let counter = 0;
async function fullTenant(): Promise<TestTenant & { admin: string }> {
  const tenant = await createTenant();
  await asOwner((client) => populateEveryTable(client, tenant.customerId, `cl${Date.now().toString(36)}${counter++}`));
  // The fixture's closure row stands for a closure already under way: these tests start their own.
  await owner(tenant.customerId, "DELETE FROM customer_closures", []);
  return { ...tenant, admin: (await userToken(tenant.customerId, "admin")).token };
}

const auditActions = async (customerId: string) =>
  (
    await owner<{ action: string }>(
      customerId,
      "SELECT action FROM audit_events WHERE action LIKE 'customer.%' ORDER BY seq",
      [],
    )
  ).map((r) => r.action);

describe("POST /v1/admin/customers/{id}/close", () => {
  it("revokes keys, ends sessions, disables webhooks, issues the final invoice and sets closed, each step audited", async () => {
    const tenant = await fullTenant();
    expect((await send("GET", "/v1/invoices", tenant.key)).status).toBe(200);
    const response = await send("POST", `/v1/admin/customers/${tenant.customerId}/close`, staff);
    expect(response.status, await response.clone().text()).toBe(200);
    const closure = await response.json<Closure>();
    expect(Object.keys(closure.steps).sort()).toEqual([...STEPS].sort());
    expect(closure.completed).toBe(true);
    expect(closure.final_invoice_id).not.toBeNull();
    const graceDays = (Date.parse(closure.grace_until) - Date.now()) / 86_400_000;
    expect(Math.round(graceDays)).toBe(30);

    await expectProblem(await send("GET", "/v1/invoices", tenant.key), { status: 401 });
    await expectProblem(await send("GET", "/v1/api-keys", tenant.admin), { status: 401 });
    const [state] = await owner<Record<string, number | string>>(
      tenant.customerId,
      `SELECT (SELECT status FROM customers WHERE id = $1) AS status,
              (SELECT count(*)::int FROM api_keys WHERE revoked_at IS NULL) AS live_keys,
              (SELECT count(*)::int FROM user_sessions WHERE revoked_at IS NULL) AS live_sessions,
              (SELECT count(*)::int FROM webhook_endpoints WHERE status = 'enabled') AS enabled_webhooks,
              (SELECT count(*)::int FROM invoices WHERE id = $2 AND status = 'open'
                 AND period_start = date_trunc('month', now() AT TIME ZONE 'UTC')::date) AS final_invoices`,
      [tenant.customerId, closure.final_invoice_id],
    );
    expect(state).toEqual({
      status: "closed",
      live_keys: 0,
      live_sessions: 0,
      enabled_webhooks: 0,
      final_invoices: 1,
    });
    expect(await auditActions(tenant.customerId)).toEqual([
      "customer.closure_started",
      ...STEPS.map((s) => `customer.closure.${s}`),
    ]);
    // Asked again: nothing is repeated.
    const again = await send("POST", `/v1/admin/customers/${tenant.customerId}/close`, staff);
    expect(again.status).toBe(200);
    expect((await again.json<Closure>()).final_invoice_id).toBe(closure.final_invoice_id);
    expect(await auditActions(tenant.customerId)).toHaveLength(1 + STEPS.length);
  }, 60_000);

  it("is for staff only, and 404 for an unknown customer", async () => {
    const tenant = await fullTenant();
    await expectProblem(await send("POST", `/v1/admin/customers/${tenant.customerId}/close`, tenant.admin), {
      status: 403,
    });
    await expectProblem(await send("POST", `/v1/admin/customers/${crypto.randomUUID()}/close`, staff), {
      status: 404,
    });
  });
});

describe("POST /v1/customer/close", () => {
  it("needs the customer's exact name typed, then closes it and ends the admin's own session", async () => {
    const tenant = await fullTenant();
    await expectProblem(await send("POST", "/v1/customer/close", tenant.admin, { confirmation: "not our name" }), {
      status: 422,
      field: "body.confirmation",
    });
    const viewer = (await userToken(tenant.customerId, "viewer")).token;
    const [row] = await owner<{ name: string }>(tenant.customerId, "SELECT name FROM customers WHERE id = $1", [
      tenant.customerId,
    ]);
    const name = row!.name;
    await expectProblem(await send("POST", "/v1/customer/close", viewer, { confirmation: name }), { status: 403 });
    const response = await send("POST", "/v1/customer/close", tenant.admin, { confirmation: name });
    expect(response.status, await response.clone().text()).toBe(200);
    expect((await response.json<Closure>()).completed).toBe(true);
    await expectProblem(await send("GET", "/v1/customer", tenant.admin), { status: 401 });
  }, 60_000);
});

describe("resuming", () => {
  it("completes the remaining steps after a crash mid-way, without repeating the done ones", async () => {
    const tenant = await fullTenant();
    const actor = { type: "staff" as const, id: "resume-test" };
    await expect(runClosure(env, tenant.customerId, actor, { failBefore: "final_invoice" })).rejects.toThrow(
      /injected failure before final_invoice/,
    );
    const [half] = await owner<{ steps: Record<string, string>; status: string }>(
      tenant.customerId,
      "SELECT steps, (SELECT status FROM customers WHERE id = $1) AS status FROM customer_closures",
      [tenant.customerId],
    );
    expect(Object.keys(half!.steps).sort()).toEqual(["disable_webhooks", "end_sessions", "revoke_api_keys"]);
    expect(half!.status).toBe("active");

    const resumed = await runClosure(env, tenant.customerId, actor);
    expect(Object.keys(resumed.steps).sort()).toEqual([...STEPS].sort());
    expect(resumed.steps.revoke_api_keys).toBe(half!.steps.revoke_api_keys);
    expect(await auditActions(tenant.customerId)).toEqual([
      "customer.closure_started",
      ...STEPS.map((s) => `customer.closure.${s}`),
    ]);
  }, 60_000);
});

describe("deletion after the grace period", () => {
  it("deletes every row of the customer but its audit trail, whose chain still verifies, and nothing under legal hold", async () => {
    const tenant = await fullTenant();
    const actor = { type: "staff" as const, id: "purge-test" };
    await runClosure(env, tenant.customerId, actor);
    const auditBefore = await owner<{ n: number }>(
      tenant.customerId,
      "SELECT count(*)::int AS n FROM audit_events",
      [],
    );

    // Not yet due: the daily job leaves it alone.
    await worker.scheduled(createScheduledController({ cron: "15 4 * * *", scheduledTime: Date.now() }), env);
    const [kept] = await owner<{ n: number }>(tenant.customerId, "SELECT count(*)::int AS n FROM users", []);
    expect(kept!.n).toBeGreaterThan(0);

    await owner(tenant.customerId, "UPDATE customer_closures SET grace_until = now() - interval '1 day'", []);
    // Under legal hold (the fixture places one, docs/audit-retention.md): due, yet nothing is deleted.
    const [hold] = await owner<{ n: number }>(
      tenant.customerId,
      "SELECT count(*)::int AS n FROM audit_legal_holds",
      [],
    );
    expect(hold!.n).toBe(1);
    await worker.scheduled(createScheduledController({ cron: "15 4 * * *", scheduledTime: Date.now() }), env);
    const [held] = await owner<{ n: number }>(tenant.customerId, "SELECT count(*)::int AS n FROM users", []);
    expect(held!.n).toBe(kept!.n);

    // The hold lifted: the next run deletes.
    await owner(tenant.customerId, "DELETE FROM audit_legal_holds WHERE customer_id = $1", [tenant.customerId]);
    await worker.scheduled(createScheduledController({ cron: "15 4 * * *", scheduledTime: Date.now() }), env);

    const left = await asOwner(async (client) => {
      const { rows } = await client.query(
        `SELECT c.relname AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
         WHERE n.nspname = 'public' AND c.relkind = 'r'
           AND EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attname = 'customer_id')`,
      );
      return rows.map((r) => String(r.name));
    });
    for (const table of left) {
      const [row] = await owner<{ n: number }>(
        tenant.customerId,
        `SELECT count(*)::int AS n FROM ${table} WHERE customer_id = $1`,
        [tenant.customerId],
      );
      // The audit trail stays (its hot rows and the archive's manifest: the fixture archived one day).
      const expected =
        table === "audit_events"
          ? auditBefore[0]!.n + 1
          : table === "customer_closures" || table === "audit_archives"
            ? 1
            : 0;
      expect(row!.n, table).toBe(expected);
    }
    const [customer] = await owner<{ status: string; purged: boolean }>(
      tenant.customerId,
      "SELECT status, (SELECT purged_at IS NOT NULL FROM customer_closures) AS purged FROM customers WHERE id = $1",
      [tenant.customerId],
    );
    expect(customer).toEqual({ status: "closed", purged: true });
    const [chain] = await owner<{ valid: boolean }>(tenant.customerId, "SELECT * FROM app.verify_audit_chain()", []);
    expect(chain).toMatchObject({ valid: true });
    expect((await auditActions(tenant.customerId)).at(-1)).toBe("customer.data_deleted");
  }, 90_000);
});
