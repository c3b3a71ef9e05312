// Proration of a mid-month tier change (docs/billing.md, "Proration"): the change takes effect
// when staff make it, the month's base fee is split by UTC day (the day of a change belongs to
// the new tier), the line amounts add up to the prorated fee, the discount band applies to the
// prorated subtotal, and the preview shows the lines the invoice gets.
import { beforeAll, describe, expect, it } from "vitest";
import { asApiRole } from "../helpers/database.ts";
import { adminQuery, backdate, ingestAsJobs, invoicesFor } from "../helpers/billing.ts";
import { staffToken, userToken } from "../helpers/identity.ts";
import type { Schemas } from "../helpers/http.ts";
import { call, createTenant } from "../helpers/tenants.ts";
import type { Tier } from "../../db/schema.ts";

type Preview = Schemas["BillingPreview"];

let staff: string;

beforeAll(async () => {
  staff = (await staffToken()).token;
});

/** A customer onboarded on `tier` at the start of `month` (YYYY-MM). */
async function customerSince(month: string, tier: Tier = "standard"): Promise<string> {
  const { customerId } = await createTenant({ tier });
  await backdate(customerId, `${month}-01`);
  return customerId;
}

/** Changes the tier through the staff API, then moves the recorded change to `at`. */
async function changeTier(customerId: string, tier: Tier, at: string): Promise<void> {
  const response = await call(`/v1/admin/customers/${customerId}`, {
    method: "PATCH",
    token: staff,
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ tier }),
  });
  expect(response.status).toBe(200);
  const moved = await adminQuery(
    `UPDATE customer_tier_changes SET effective_at = $2 WHERE id = (
       SELECT id FROM customer_tier_changes WHERE customer_id = $1 ORDER BY id DESC LIMIT 1) RETURNING id`,
    [customerId, at],
  );
  expect(moved).toHaveLength(1);
}

async function preview(customerId: string, period: string): Promise<Preview> {
  const { token } = await userToken(customerId, "billing");
  const response = await call(`/v1/billing/preview?period=${period}`, { token });
  expect(response.status).toBe(200);
  return response.json<Preview>();
}

const baseLines = (p: Preview) =>
  p.line_items.filter((l) => l.kind === "base").map((l) => [l.description, Number(l.quantity), l.amount_cents]);

describe("a tier change in the middle of a month", () => {
  it("is recorded when staff make it and audited, and splits the base fee by day: Standard 1–14 Dec, Fintech 15–31 Dec", async () => {
    const customer = await customerSince("2025-12");
    const response = await call(`/v1/admin/customers/${customer}`, {
      method: "PATCH",
      token: staff,
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ tier: "fintech" }),
    });
    expect(response.status).toBe(200);
    const [change] = await adminQuery<{ from_tier: string; to_tier: string; recent: boolean }>(
      "SELECT from_tier, to_tier, effective_at > now() - interval '5 minutes' AS recent FROM customer_tier_changes WHERE customer_id = $1",
      [customer],
    );
    expect(change).toEqual({ from_tier: "standard", to_tier: "fintech", recent: true });
    const audit = await adminQuery<{ data: { changes: unknown } }>(
      "SELECT data FROM audit_events WHERE customer_id = $1 AND action = 'customer.updated'",
      [customer],
    );
    expect(audit.map((a) => a.data.changes)).toEqual([{ tier: { from: "standard", to: "fintech" } }]);

    await adminQuery("UPDATE customer_tier_changes SET effective_at = '2025-12-15T09:30:00Z' WHERE customer_id = $1", [
      customer,
    ]);
    const p = await preview(customer, "2025-12");
    // $2,000 × 14/31 = $903.2258… → $903.23; then $2,000 × 14/31 + $8,000 × 17/31 = $5,290.3225… → $5,290.32
    expect(baseLines(p)).toEqual([
      ["Standard, 1–14 Dec", 14, 90_323],
      ["Fintech, 15–31 Dec", 17, 438_709],
    ]);
    expect(p.subtotal_cents).toBe(529_032);
  });

  it("a change on the 1st at 00:00:00 bills only the new tier, for the whole month", async () => {
    const customer = await customerSince("2025-11");
    await changeTier(customer, "fintech", "2025-11-01T00:00:00Z");
    expect(baseLines(await preview(customer, "2025-11"))).toEqual([["Fintech tier base fee", 1, 800_000]]);
    // ...and the month before is still all Standard: the change took effect after it ended.
    await backdate(customer, "2025-10-01");
    expect(baseLines(await preview(customer, "2025-10"))).toEqual([["Standard tier base fee", 1, 200_000]]);
  });

  it("a change on the last day at 23:59:59 gives the new tier that one day", async () => {
    const customer = await customerSince("2025-11");
    await changeTier(customer, "fintech", "2025-11-30T23:59:59Z");
    // $2,000 × 29/30 = $1,933.33; the total $2,000 × 29/30 + $8,000 × 1/30 = $2,200.00
    expect(baseLines(await preview(customer, "2025-11"))).toEqual([
      ["Standard, 1–29 Nov", 29, 193_333],
      ["Fintech, 30 Nov", 1, 26_667],
    ]);
  });

  it("two changes in a month give three lines whose cents add up to the prorated fee", async () => {
    const customer = await customerSince("2025-10");
    await changeTier(customer, "healthcare", "2025-10-10T12:00:00Z");
    await changeTier(customer, "fintech", "2025-10-21T00:00:00Z");
    const p = await preview(customer, "2025-10");
    // exact: (2,000×9 + 15,000×11 + 8,000×11) / 31 = $8,741.9354… → $8,741.94
    expect(baseLines(p)).toEqual([
      ["Standard, 1–9 Oct", 9, 58_065],
      ["Healthcare, 10–20 Oct", 11, 532_258],
      ["Fintech, 21–31 Oct", 11, 283_871],
    ]);
    expect(58_065 + 532_258 + 283_871).toBe(874_194);
  });

  it("a downgrade, and a change later the same day back to the first tier, bill by the tier each day ended with", async () => {
    const customer = await customerSince("2025-09", "fintech");
    await changeTier(customer, "standard", "2025-09-16T08:00:00Z");
    await changeTier(customer, "healthcare", "2025-09-20T08:00:00Z");
    await changeTier(customer, "standard", "2025-09-20T17:00:00Z");
    // A later change (the customer is healthcare today) does not rewrite September.
    await changeTier(customer, "healthcare", "2025-10-05T00:00:00Z");
    const p = await preview(customer, "2025-09");
    expect(baseLines(p)).toEqual([
      ["Fintech, 1–15 Sep", 15, 400_000],
      ["Standard, 16–30 Sep", 15, 100_000],
    ]);
    // $5,000.00 reaches the 5% band
    expect(p.discount_cents).toBe(25_000);
  });

  it("the discount band is chosen by the prorated subtotal, not the new tier's full fee", async () => {
    const customer = await customerSince("2025-06");
    await changeTier(customer, "gov_federal", "2025-06-20T10:00:00Z");
    const p = await preview(customer, "2025-06");
    // $2,000 × 19/30 + $25,000 × 11/30 = $10,433.33: the 5% band (a full month at $25,000 would reach 10%)
    expect(baseLines(p)).toEqual([
      ["Standard, 1–19 Jun", 19, 126_667],
      ["Gov Federal, 20–30 Jun", 11, 916_666],
    ]);
    expect(p.subtotal_cents).toBe(1_043_333);
    expect(p.line_items.find((l) => l.kind === "discount")).toMatchObject({
      description: "Volume discount (5%)",
      amount_cents: -52_167,
    });
    expect(p.discount_cents).toBe(52_167);
    expect(p.tax_cents).toBe(Math.round(((1_043_333 - 52_167) * 8) / 100));
  });

  it("the preview of the month equals the invoice the run issues, line for line", async () => {
    const customer = await customerSince("2025-05");
    await ingestAsJobs([
      { customer_id: customer, metric: "log_storage_gb_month", quantity: "100", occurred_at: "2025-05-10T00:00:00Z" },
      { customer_id: customer, metric: "nat_processing_gb", quantity: "1000", occurred_at: "2025-05-20T00:00:00Z" },
    ]);
    await changeTier(customer, "fintech", "2025-05-15T00:00:00Z");
    const before = await preview(customer, "2025-05");
    const run = await call("/v1/admin/billing-runs", {
      method: "POST",
      token: staff,
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ period: "2025-05" }),
    });
    expect(run.status).toBe(201);
    const [invoice] = await invoicesFor([customer], "2025-05-01");
    const lines = await adminQuery<{ kind: string; description: string; quantity: string; amount_cents: string }>(
      "SELECT kind, description, quantity::text, amount_cents FROM invoice_line_items WHERE invoice_id = $1 ORDER BY position",
      [invoice!.id],
    );
    expect(before.line_items.map((l) => [l.kind, l.description, Number(l.quantity), l.amount_cents])).toEqual(
      lines.map((l) => [l.kind, l.description, Number(l.quantity), Number(l.amount_cents)]),
    );
    expect(before.total_cents).toBe(Number(invoice!.total_cents));
    expect(lines.map((l) => l.description).slice(0, 2)).toEqual(["Standard, 1–14 May", "Fintech, 15–31 May"]);
  });
});

describe("tier history and tenants", () => {
  it("without a change the seed example still bills one Standard line, and another tenant's change does not touch it", async () => {
    const mine = await customerSince("2025-04");
    const other = await customerSince("2025-04");
    await ingestAsJobs([
      { customer_id: mine, metric: "log_storage_gb_month", quantity: "100", occurred_at: "2025-04-10T00:00:00Z" },
      { customer_id: mine, metric: "nat_processing_gb", quantity: "1000", occurred_at: "2025-04-20T00:00:00Z" },
    ]);
    await changeTier(other, "healthcare", "2025-04-12T00:00:00Z");
    const p = await preview(mine, "2025-04");
    expect(baseLines(p)).toEqual([["Standard tier base fee", 1, 200_000]]);
    expect(p.total_cents).toBe(221_940);
    expect(baseLines(await preview(other, "2025-04"))).toHaveLength(2);
  });

  it("the request role cannot write tier history, and a customer reads only its own", async () => {
    const mine = await customerSince("2025-03");
    const other = await customerSince("2025-03");
    await changeTier(other, "fintech", "2025-03-10T00:00:00Z");
    await expect(
      asApiRole((client) =>
        client.query(
          "INSERT INTO customer_tier_changes (customer_id, from_tier, to_tier) VALUES ($1, 'standard', 'fintech')",
          [mine],
        ),
      ),
    ).rejects.toThrow(/permission denied/);
    const { count } = (
      await asApiRole((client) => client.query("SELECT count(*)::int AS count FROM customer_tier_changes"))
    ).rows[0] as { count: number };
    expect(count).toBe(0);
  });
});
