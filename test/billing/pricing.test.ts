// app.billing_lines: the one calculation behind invoices, the preview and the metrics' costs.
// Every tier, every discount band boundary, half-up rounding per line, the rate card in force
// on the period's first day, and the worked example of docs/billing.md to the cent.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { as, asOwner } from "../helpers/database.ts";
import { asCustomer } from "../../dev/fixtures.ts";
import { createTenant } from "../helpers/tenants.ts";
import { backdate, ingestAsJobs } from "../helpers/billing.ts";
import type { Tier } from "../../db/schema.ts";

const PERIOD = "2024-03-01";

interface Line {
  position: number;
  kind: string;
  description: string;
  quantity: string;
  amount_cents: string;
}

async function lines(customerId: string, period = PERIOD): Promise<Line[]> {
  return as(
    "jobs",
    async (client) =>
      (
        await client.query(
          "SELECT position, kind, description, quantity::text, amount_cents FROM app.billing_lines($1::date, ARRAY[$2::uuid]) ORDER BY position",
          [period, customerId],
        )
      ).rows as unknown as Line[],
  );
}

function totals(priced: Line[]) {
  const sum = (kinds: string[]) =>
    priced.filter((l) => kinds.includes(l.kind)).reduce((s, l) => s + Number(l.amount_cents), 0);
  const subtotal = sum(["base", "usage"]);
  const discount = 0 - sum(["discount"]);
  const tax = sum(["tax"]);
  return { subtotal, discount, tax, total: subtotal - discount + tax };
}

/** A customer of `tier` with the given usage in PERIOD. */
async function customerWith(
  tier: Tier,
  usage: { logs?: string; nat?: string } = {},
  taxRateBps?: number,
): Promise<string> {
  const { customerId } = await createTenant({ tier });
  await backdate(customerId, "2024-01-01", { taxRateBps });
  const events = [
    ...(usage.logs
      ? [
          {
            customer_id: customerId,
            metric: "log_storage_gb_month",
            quantity: usage.logs,
            occurred_at: "2024-03-10T12:00:00Z",
          },
        ]
      : []),
    ...(usage.nat
      ? [
          {
            customer_id: customerId,
            metric: "nat_processing_gb",
            quantity: usage.nat,
            occurred_at: "2024-03-31T23:59:59Z",
          },
        ]
      : []),
  ];
  if (events.length > 0) expect((await ingestAsJobs(events)).errors).toBeUndefined();
  return customerId;
}

describe("app.billing_lines", () => {
  it("reproduces the worked example of docs/billing.md exactly: standard, 100 GB-month logs, 1,000 GB NAT → $2,219.40", async () => {
    const customer = await customerWith("standard", { logs: "100", nat: "1000" });
    const priced = await lines(customer);
    expect(priced.map((l) => [l.kind, l.description, Number(l.amount_cents)])).toEqual([
      ["base", "Standard tier base fee", 200_000],
      ["usage", "Log storage", 1_000],
      ["usage", "NAT data processing", 4_500],
      ["tax", "Tax (8.00%)", 16_440],
    ]);
    expect(totals(priced)).toEqual({ subtotal: 205_500, discount: 0, tax: 16_440, total: 221_940 });
  });

  it.each([
    ["standard", 200_000, 0, 16_000, 216_000],
    ["fintech", 800_000, 40_000, 60_800, 820_800],
    ["healthcare", 1_500_000, 75_000, 114_000, 1_539_000],
    ["gov_federal", 2_500_000, 250_000, 180_000, 2_430_000],
  ] as const)(
    "bills the %s tier's base fee with its band: subtotal %i, discount %i, tax %i, total %i",
    async (tier, subtotal, discount, tax, total) => {
      const customer = await customerWith(tier);
      expect(totals(await lines(customer))).toEqual({ subtotal, discount, tax, total });
    },
  );

  // Standard base is 200,000 cents; log storage is 10 cents per GB-month, so 0.1 GB = 1 cent.
  it.each([
    ["just below $5,000", "29999.9", 499_999, 0],
    ["at $5,000 (5%)", "30000", 500_000, 25_000],
    ["just below $20,000", "179999.9", 1_999_999, 100_000], // 5% of 1,999,999 = 99,999.95 → 100,000
    ["at $20,000 (10%)", "180000", 2_000_000, 200_000],
    ["just below $50,000", "479999.9", 4_999_999, 500_000], // 10% of 4,999,999 = 499,999.9 → 500,000
    ["at $50,000 (15%)", "480000", 5_000_000, 750_000],
  ])("applies the discount band %s", async (_label, logs, subtotal, discount) => {
    const customer = await customerWith("standard", { logs });
    const priced = await lines(customer);
    const tax = Math.floor(((subtotal - discount) * 800 + 5_000) / 10_000);
    expect(totals(priced)).toEqual({ subtotal, discount, tax, total: subtotal - discount + tax });
    if (discount > 0)
      expect(priced.find((l) => l.kind === "discount")?.description).toMatch(/^Volume discount \((5|10|15)%\)$/);
    else expect(priced.some((l) => l.kind === "discount")).toBe(false);
  });

  it("rounds half-up on every line: usage, discount and tax", async () => {
    // 0.05 GB-month of logs = 0.5 cent → 1; 0.1 GB NAT = 0.45 cent → 0.
    const small = await customerWith("standard", { logs: "0.05", nat: "0.1" });
    const priced = await lines(small);
    expect(priced.filter((l) => l.kind === "usage").map((l) => Number(l.amount_cents))).toEqual([1, 0]);
    // 8.5% tax on 200,100 = 17,008.5 → 17,009.
    const taxed = await customerWith("standard", { logs: "10" }, 850);
    expect(totals(await lines(taxed))).toEqual({ subtotal: 200_100, discount: 0, tax: 17_009, total: 217_109 });
    // 5% of 500,010 = 25,000.5 → 25,001.
    const banded = await customerWith("standard", { logs: "30001" });
    expect(totals(await lines(banded)).discount).toBe(25_001);
  });

  it("sums usage exactly (no floating point): 0.1 + 0.2 GB-month is 0.3", async () => {
    const customer = await customerWith("standard");
    await ingestAsJobs([
      { customer_id: customer, metric: "log_storage_gb_month", quantity: "0.1", occurred_at: "2024-03-01T00:00:00Z" },
      { customer_id: customer, metric: "log_storage_gb_month", quantity: "0.2", occurred_at: "2024-03-02T00:00:00Z" },
    ]);
    expect((await lines(customer)).find((l) => l.kind === "usage")?.quantity).toBe("0.300000");
  });

  describe("rate card versions", () => {
    beforeAll(async () => {
      await asOwner((client) =>
        client.query(
          `INSERT INTO rate_card (item, description, unit, unit_price_micros, effective_from) VALUES
             ('nat_processing_gb', 'NAT data processing', 'GB', 50000, '2031-01-01'),
             ('nat_processing_gb', 'NAT data processing', 'GB', 60000, '2031-01-15')`,
        ),
      );
    });
    afterAll(async () => {
      await asOwner((client) => client.query("DELETE FROM rate_card WHERE effective_from >= '2031-01-01'"));
    });

    it("uses the price in force on the period's first day, not a change within the month", async () => {
      const customer = await customerWith("standard");
      await ingestAsJobs([
        { customer_id: customer, metric: "nat_processing_gb", quantity: "1000", occurred_at: "2030-12-20T00:00:00Z" },
        { customer_id: customer, metric: "nat_processing_gb", quantity: "1000", occurred_at: "2031-01-20T00:00:00Z" },
        { customer_id: customer, metric: "nat_processing_gb", quantity: "1000", occurred_at: "2031-02-20T00:00:00Z" },
      ]);
      // An item that only enters the rate card later cannot be reported for an earlier month.
      await asOwner((client) =>
        client.query(
          "INSERT INTO rate_card (item, description, unit, unit_price_micros, effective_from) VALUES ('gpu_hours', 'GPU', 'hour', 1000000, '2031-02-01')",
        ),
      );
      const early = await ingestAsJobs([
        { customer_id: customer, metric: "gpu_hours", quantity: "1", occurred_at: "2031-01-31T23:00:00Z" },
      ]);
      expect(early.errors).toEqual([expect.objectContaining({ index: 0, field: "metric", code: "unknown_metric" })]);
      expect(
        (
          await ingestAsJobs([
            { customer_id: customer, metric: "gpu_hours", quantity: "1", occurred_at: "2031-02-01T00:00:00Z" },
          ])
        ).results,
      ).toHaveLength(1);
      const nat = async (period: string) =>
        Number((await lines(customer, period)).find((l) => l.description === "NAT data processing")?.amount_cents);
      expect(await nat("2030-12-01")).toBe(4_500); // $0.045
      expect(await nat("2031-01-01")).toBe(5_000); // $0.050 from Jan 1; the Jan 15 price waits for February
      expect(await nat("2031-02-01")).toBe(6_000);
    });
  });

  it("prices only the caller's own customer on the request role (RLS), whatever ids are asked for", async () => {
    const mine = await customerWith("standard", { logs: "100" });
    const theirs = await customerWith("fintech", { logs: "100" });
    const rows = await as("api", (client) =>
      asCustomer(
        client,
        mine,
        async () =>
          (
            await client.query(
              "SELECT DISTINCT customer_id FROM app.billing_lines($1::date, ARRAY[$2::uuid, $3::uuid])",
              [PERIOD, mine, theirs],
            )
          ).rows,
      ),
    );
    expect(rows).toEqual([{ customer_id: mine }]);
  });
});
