// Settlement meets the monthly run (docs/billing.md, "Settlement"): the credit balance a credit
// note leaves is consumed by the customer's next invoice (its total unchanged, the amount due
// reduced), an invoice the balance covers in full is paid at issue, and the due date follows the
// customer's payment terms. A customer without credit still gets the worked example's $2,219.40.
import { beforeAll, describe, expect, it } from "vitest";
import { adminQuery, backdate, ingestAsJobs } from "../helpers/billing.ts";
import { staffToken } from "../helpers/identity.ts";
import { send } from "../helpers/http.ts";
import { createTenant } from "../helpers/tenants.ts";

const TOTAL = 221_940;
let staff: string;

beforeAll(async () => {
  staff = (await staffToken()).token;
});

async function customerIn(month: string): Promise<string> {
  const { customerId } = await createTenant();
  await backdate(customerId, `${month}-01`);
  await ingestAsJobs([
    { customer_id: customerId, metric: "log_storage_gb_month", quantity: "100", occurred_at: `${month}-10T00:00:00Z` },
    { customer_id: customerId, metric: "nat_processing_gb", quantity: "1000", occurred_at: `${month}-20T00:00:00Z` },
  ]);
  return customerId;
}

async function run(period: string): Promise<void> {
  const response = await send("POST", "/v1/admin/billing-runs", staff, { period });
  expect(response.status).toBe(201);
  expect(await response.json()).toMatchObject({ status: "succeeded" });
}

interface Row {
  id: string;
  status: string;
  total_cents: string;
  balance_applied_cents: string;
  amount_due_cents: string;
  terms_days: number;
}
const invoiceOf = async (customerId: string, periodStart: string): Promise<Row> =>
  (
    await adminQuery<Row>(
      `SELECT id, status, total_cents, balance_applied_cents, amount_due_cents,
              extract(day FROM due_at - issued_at)::int AS terms_days
       FROM invoices WHERE customer_id = $1 AND period_start = $2`,
      [customerId, periodStart],
    )
  )[0]!;
const balanceOf = async (customerId: string) =>
  Number(
    (
      await adminQuery<{ balance_cents: string }>(
        "SELECT balance_cents FROM customer_credit_balances WHERE customer_id = $1",
        [customerId],
      )
    )[0]?.balance_cents ?? 0,
  );

describe("credit balance and payment terms in the monthly run", () => {
  it("consumes the credit balance on the next invoice, pays it at issue when covered, and dates it by the terms", async () => {
    const [credited, coveredInFull, plain] = [
      await customerIn("2025-03"),
      await customerIn("2025-03"),
      await customerIn("2025-03"),
    ];
    expect((await send("PATCH", `/v1/admin/customers/${plain}`, staff, { payment_terms_days: 45 })).status).toBe(200);
    await run("2025-03");

    const march = await invoiceOf(plain, "2025-03-01");
    expect(march).toMatchObject({ total_cents: String(TOTAL), amount_due_cents: String(TOTAL), terms_days: 45 });
    expect(await invoiceOf(credited, "2025-03-01")).toMatchObject({ terms_days: 30, balance_applied_cents: "0" });

    // Paid in full, then credited: the whole credit note becomes credit balance.
    for (const [customer, creditCents] of [
      [credited, 50_000],
      [coveredInFull, TOTAL],
    ] as const) {
      const { id } = await invoiceOf(customer, "2025-03-01");
      const paid = await send("POST", `/v1/admin/invoices/${id}/payments`, staff, {
        amount_cents: TOTAL,
        method: "ach",
        received_at: "2025-04-10T00:00:00Z",
      });
      expect(paid.status).toBe(201);
      const note = await send("POST", `/v1/admin/invoices/${id}/credit-notes`, staff, {
        reason: "Service credit",
        amount_cents: creditCents,
      });
      expect(await note.json()).toMatchObject({ applied_cents: 0, to_balance_cents: creditCents });
      expect(await balanceOf(customer)).toBe(creditCents);
    }

    await run("2025-04");
    const april = await invoiceOf(credited, "2025-04-01");
    const total = Number(april.total_cents);
    expect(april).toMatchObject({
      status: "open",
      balance_applied_cents: "50000",
      amount_due_cents: String(total - 50_000),
    });
    expect(await balanceOf(credited)).toBe(0);

    const covered = await invoiceOf(coveredInFull, "2025-04-01");
    expect(covered).toMatchObject({
      status: "paid",
      amount_due_cents: "0",
      balance_applied_cents: covered.total_cents,
    });
    expect(await balanceOf(coveredInFull)).toBe(TOTAL - Number(covered.total_cents));
    const paidEvents = await adminQuery(
      "SELECT 1 FROM outbox_events WHERE customer_id = $1 AND type = 'invoice.paid' AND payload->>'id' = $2",
      [coveredInFull, covered.id],
    );
    expect(paidEvents).toHaveLength(1);

    // Without credit, the invoice is untouched by settlement.
    expect(await invoiceOf(plain, "2025-04-01")).toMatchObject({ balance_applied_cents: "0", terms_days: 45 });
  }, 90_000); // two billing runs over every customer of the file's database

  it("gives the balance an invoice consumed back when that invoice is voided", async () => {
    const customer = await customerIn("2025-06");
    await run("2025-06");
    const { id } = await invoiceOf(customer, "2025-06-01");
    await send("POST", `/v1/admin/invoices/${id}/payments`, staff, {
      amount_cents: TOTAL,
      method: "wire",
      received_at: "2025-07-02T00:00:00Z",
    });
    await send("POST", `/v1/admin/invoices/${id}/credit-notes`, staff, { reason: "Goodwill", amount_cents: 10_000 });
    await run("2025-07");
    const july = await invoiceOf(customer, "2025-07-01");
    expect(july.balance_applied_cents).toBe("10000");
    const voided = await send("POST", `/v1/admin/invoices/${july.id}/void`, staff, { reason: "Billed in error" });
    expect(voided.status).toBe(200);
    expect(await balanceOf(customer)).toBe(10_000);
  }, 90_000);
});
