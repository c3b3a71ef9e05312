// The monthly billing run, driven by staff over HTTP (POST /v1/admin/billing-runs): one invoice
// per customer-month whatever is re-run, overlapped or crashed; failing customers reported;
// gap-free numbers; the outbox event and audit event per invoice; late usage as an adjustment.
import { describe, expect, it, beforeAll } from "vitest";
import { asCustomer, createApiKey } from "../../dev/fixtures.ts";
import { as, asOwner } from "../helpers/database.ts";
import { adminQuery, backdate, ingestAsJobs, invoicesFor, numberingOf } from "../helpers/billing.ts";
import { staffToken, userToken } from "../helpers/identity.ts";
import { expectProblem, type Schemas } from "../helpers/http.ts";
import { call, createTenant } from "../helpers/tenants.ts";
import type { Tier } from "../../db/schema.ts";

type Run = Schemas["BillingRun"];

let staff: string;
const year = new Date().getUTCFullYear();

beforeAll(async () => {
  staff = (await staffToken()).token;
});

async function run(period: string, options: { dry_run?: boolean; batch_size?: number } = {}): Promise<Run> {
  const response = await call("/v1/admin/billing-runs", {
    method: "POST",
    token: staff,
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ period, ...options }),
  });
  expect(response.status).toBe(201);
  return response.json<Run>();
}

/** Customers that existed in `month` (YYYY-MM), with the worked example's usage (docs/billing.md). */
async function customersIn(month: string, count: number, tier: Tier = "standard"): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < count; i++) {
    const { customerId } = await createTenant({ tier });
    await backdate(customerId, `${month}-01`);
    ids.push(customerId);
  }
  await ingestAsJobs(
    ids.flatMap((id) => [
      { customer_id: id, metric: "log_storage_gb_month", quantity: "100", occurred_at: `${month}-10T00:00:00Z` },
      { customer_id: id, metric: "nat_processing_gb", quantity: "1000", occurred_at: `${month}-20T00:00:00Z` },
    ]),
  );
  return ids;
}

/** Active customers that existed before the period ended and have no invoice for it. */
async function pendingCount(periodStart: string): Promise<number> {
  const [row] = await adminQuery<{ n: number }>(
    `SELECT count(*)::int AS n FROM customers c WHERE c.status = 'active' AND c.created_at < $1::date + interval '1 month'
       AND NOT EXISTS (SELECT 1 FROM invoices i WHERE i.customer_id = c.id AND i.period_start = $1)`,
    [periodStart],
  );
  return row!.n;
}

async function expectOneInvoiceEach(periodStart: string): Promise<void> {
  expect(await pendingCount(periodStart)).toBe(0);
  const dupes = await adminQuery(
    "SELECT customer_id FROM invoices WHERE period_start = $1 GROUP BY 1 HAVING count(*) > 1",
    [periodStart],
  );
  expect(dupes).toEqual([]);
}

async function expectGapFree(): Promise<void> {
  const { counter, numbers } = await numberingOf(year);
  expect(numbers).toEqual(Array.from({ length: counter }, (_, i) => i + 1));
}

describe("POST /v1/admin/billing-runs", () => {
  it("invoices every active customer of the month once, with lines, an outbox event and an audit event each", async () => {
    const [customer] = await customersIn("2025-01", 1);
    const { customerId: suspended } = await createTenant();
    await backdate(suspended, "2025-01-01");
    await adminQuery("UPDATE customers SET status = 'suspended' WHERE id = $1", [suspended]);
    const pending = await pendingCount("2025-01-01");

    const result = await run("2025-01");
    expect(result).toMatchObject({
      status: "succeeded",
      dry_run: false,
      customers_billed: pending,
      customers_failed: 0,
      errors: [],
    });

    const [invoice] = await invoicesFor([customer!], "2025-01-01");
    expect(invoice).toMatchObject({
      subtotal_cents: "205500",
      discount_cents: "0",
      tax_cents: "16440",
      total_cents: "221940",
    });
    expect(invoice!.number).toMatch(new RegExp(`^SB-${year}-\\d{6}$`));
    expect(await invoicesFor([suspended], "2025-01-01")).toEqual([]);

    const [outbox] = await adminQuery<{ type: string; payload: unknown }>(
      "SELECT type, payload FROM outbox_events WHERE customer_id = $1 AND type = 'invoice.created'",
      [customer],
    );
    expect(outbox!.payload).toEqual({
      id: invoice!.id,
      number: invoice!.number,
      period_start: "2025-01-01",
      period_end: "2025-02-01",
      total_cents: 221_940,
      currency: "usd",
    });
    const audit = await adminQuery(
      "SELECT action, actor_type, resource_id FROM audit_events WHERE customer_id = $1 AND action = 'invoice.issued'",
      [customer],
    );
    expect(audit).toEqual([{ action: "invoice.issued", actor_type: "system", resource_id: invoice!.id }]);

    // The customer sees it, in document order.
    const { key } = await asOwner((client) => createApiKey(client, customer!));
    const seen = await (await call(`/v1/invoices/${invoice!.id}`, { token: key })).json<{
      total_cents: number;
      line_items: { kind: string }[];
    }>();
    expect(seen.total_cents).toBe(221_940);
    expect(seen.line_items.map((l) => l.kind)).toEqual(["base", "usage", "usage", "tax"]);

    const fetched = await (await call(`/v1/admin/billing-runs/${result.id}`, { token: staff })).json<Run>();
    expect(fetched).toEqual(result);
    const list = await (await call(`/v1/admin/billing-runs?limit=100`, { token: staff })).json<{ data: Run[] }>();
    expect(list.data.map((r) => r.id)).toContain(result.id);
    await expectGapFree();
  });

  it("a re-run of the same month issues nothing new", async () => {
    await customersIn("2025-01", 1);
    await run("2025-01");
    const before = await adminQuery("SELECT count(*)::int AS n FROM invoices WHERE period_start = '2025-01-01'");
    const again = await run("2025-01");
    expect(again).toMatchObject({ status: "succeeded", customers_billed: 0, total_cents: 0 });
    expect(await adminQuery("SELECT count(*)::int AS n FROM invoices WHERE period_start = '2025-01-01'")).toEqual(
      before,
    );
    await expectOneInvoiceEach("2025-01-01");
  });

  it("two overlapping runs bill each customer once, with unique gap-free numbers", async () => {
    await customersIn("2025-02", 6);
    const pending = await pendingCount("2025-02-01");
    const [a, b] = await Promise.all([run("2025-02", { batch_size: 2 }), run("2025-02", { batch_size: 3 })]);
    expect(a!.customers_billed + b!.customers_billed).toBe(pending);
    expect([a!.status, b!.status]).toEqual(["succeeded", "succeeded"]);
    await expectOneInvoiceEach("2025-02-01");
    await expectGapFree();
  });

  it("a run that crashes mid-way keeps what it billed; the next run bills exactly the rest", async () => {
    await customersIn("2025-03", 5);
    const pending = await pendingCount("2025-03-01");
    // Fail the second batch where it records its progress: batch 1 is committed, batch 2 rolls back.
    await adminQuery(`
      CREATE FUNCTION public.test_billing_crash() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF NEW.period_start = '2025-03-01' AND NEW.customers_billed > OLD.customers_billed AND OLD.customers_billed > 0 THEN
          RAISE EXCEPTION 'worker lost (simulated crash)';
        END IF;
        RETURN NEW;
      END $$`);
    await adminQuery(
      "CREATE TRIGGER test_billing_crash BEFORE UPDATE ON billing_runs FOR EACH ROW EXECUTE FUNCTION public.test_billing_crash()",
    );
    let crashed: Run;
    try {
      crashed = await run("2025-03", { batch_size: 2 });
    } finally {
      await adminQuery("DROP TRIGGER test_billing_crash ON billing_runs; DROP FUNCTION public.test_billing_crash()");
    }
    expect(crashed).toMatchObject({ status: "failed", error: expect.stringContaining("simulated crash") });
    expect(crashed.customers_billed).toBeGreaterThan(0);
    expect(crashed.customers_billed).toBeLessThan(pending);
    expect(await pendingCount("2025-03-01")).toBe(pending - crashed.customers_billed);

    const resumed = await run("2025-03", { batch_size: 2 });
    expect(resumed).toMatchObject({ status: "succeeded", customers_billed: pending - crashed.customers_billed });
    await expectOneInvoiceEach("2025-03-01");
    await expectGapFree();
  });

  it("a customer whose invoice fails is reported and does not stop the others", async () => {
    const [first, failing, last] = await customersIn("2025-04", 3);
    await adminQuery(`
      CREATE FUNCTION public.test_billing_decline() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF NEW.customer_id = '${failing}' AND NEW.period_start = '2025-04-01' THEN RAISE EXCEPTION 'tax id missing (simulated)'; END IF;
        RETURN NEW;
      END $$`);
    await adminQuery(
      "CREATE TRIGGER test_billing_decline BEFORE INSERT ON invoices FOR EACH ROW EXECUTE FUNCTION public.test_billing_decline()",
    );
    let partial: Run;
    try {
      partial = await run("2025-04");
    } finally {
      await adminQuery("DROP TRIGGER test_billing_decline ON invoices; DROP FUNCTION public.test_billing_decline()");
    }
    expect(partial).toMatchObject({
      status: "partial",
      customers_failed: 1,
      error: expect.stringContaining("1 customer"),
    });
    expect(partial.errors).toEqual([{ customer_id: failing, sqlstate: "P0001", error: "tax id missing (simulated)" }]);
    expect((await invoicesFor([first!, failing!, last!], "2025-04-01")).map((i) => i.customer_id).sort()).toEqual(
      [first, last].sort(),
    );
    await expectGapFree();

    const retry = await run("2025-04");
    expect(retry).toMatchObject({ status: "succeeded", customers_billed: 1 });
    await expectOneInvoiceEach("2025-04-01");
    await expectGapFree();
  });

  it("bills late usage of an invoiced month once, as a labelled adjustment on the next invoice", async () => {
    const [customer] = await customersIn("2025-05", 1);
    await run("2025-05");
    // 200 GB of NAT for May reported after May was invoiced.
    await ingestAsJobs([
      { customer_id: customer!, metric: "nat_processing_gb", quantity: "200", occurred_at: "2025-05-31T23:00:00Z" },
    ]);
    await run("2025-06");
    const [june] = await invoicesFor([customer!], "2025-06-01");
    const lines = await adminQuery<{
      description: string;
      quantity: string;
      amount_cents: string;
      usage_month: string;
    }>(
      "SELECT description, quantity::text, amount_cents, usage_month::text FROM invoice_line_items WHERE invoice_id = $1 AND usage_month IS NOT NULL",
      [june!.id],
    );
    expect(lines).toEqual([
      {
        description: "Adjustment for May 2025: NAT data processing reported late",
        quantity: "200.000000",
        amount_cents: "900",
        usage_month: "2025-05-01",
      },
    ]);
    expect(june).toMatchObject({ subtotal_cents: "200900", total_cents: String(200_900 + 16_072) });
    await run("2025-07");
    const [july] = await invoicesFor([customer!], "2025-07-01");
    expect(july!.subtotal_cents).toBe("200000");
  });

  it("a dry run prices the month and records the totals, issuing nothing", async () => {
    await customersIn("2025-08", 2);
    const pending = await pendingCount("2025-08-01");
    const dry = await run("2025-08", { dry_run: true });
    expect(dry).toMatchObject({ status: "succeeded", dry_run: true, customers_billed: pending });
    expect(dry.total_cents).toBeGreaterThanOrEqual(2 * 221_940);
    expect(await pendingCount("2025-08-01")).toBe(pending);
  });

  it("is for SecureBase staff only, and only for a month that has ended", async () => {
    const post = (body: unknown, token?: string) =>
      call("/v1/admin/billing-runs", {
        method: "POST",
        token,
        headers: { "content-type": "application/json" },
        body: JSON.stringify(body),
      });
    await expectProblem(await post({ period: "2025-01" }), { status: 401 });
    const { customerId, key } = await createTenant();
    const admin = await userToken(customerId, "admin");
    await expectProblem(await post({ period: "2025-01" }, admin.token), {
      status: 403,
      type: "insufficient-permission",
    });
    await expectProblem(await post({ period: "2025-01" }, key), { status: 403, type: "insufficient-permission" });
    await expectProblem(await call("/v1/admin/billing-runs", { token: admin.token }), { status: 403 });
    const thisMonth = new Date().toISOString().slice(0, 7);
    await expectProblem(await post({ period: thisMonth }, staff), {
      status: 422,
      type: "validation-error",
      field: "body.period",
    });
    await expectProblem(await post({ period: "2025-1" }, staff), {
      status: 422,
      type: "validation-error",
      field: "body.period",
    });
    await expectProblem(await post({ period: "2025-01", surprise: 1 }, staff), {
      status: 422,
      type: "validation-error",
    });
    await expectProblem(await call("/v1/admin/billing-runs/0192a000-0000-7000-8000-0000000fffff", { token: staff }), {
      status: 404,
      type: "not-found",
    });
    // The request role cannot reach the run functions without a staff context.
    await expect(
      as("api", (client) => client.query("SELECT * FROM app.start_billing_run('2025-01-01', true, 'manual', null)")),
    ).rejects.toMatchObject({ code: "42501" });
    // Nor with a customer's own (signed, non-staff) context.
    for (const statement of [
      "SELECT * FROM app.start_billing_run('2025-01-01', true, 'manual', null)",
      "SELECT * FROM app.billing_runs_page(NULL, 10)",
      "SELECT * FROM app.billing_run_batch(app.uuid_v7(), NULL, 10)",
    ]) {
      await expect(
        as("api", (client) => asCustomer(client, customerId, () => client.query(statement))),
      ).rejects.toMatchObject({ code: "42501" });
    }
  });
});
