// GET /v1/billing/preview: the same function as the run, so a closed month's preview is its
// invoice to the cent, and the current month shows usage so far.
import { beforeAll, describe, expect, it } from "vitest";
import { createScheduledController } from "cloudflare:test";
import { env } from "cloudflare:workers";
import worker from "../../worker/index.ts";
import { monthOf } from "../../worker/billing/periods.ts";
import { asOwner } from "../helpers/database.ts";
import { adminQuery, backdate, ingestAsJobs, invoicesFor } from "../helpers/billing.ts";
import { userToken } from "../helpers/identity.ts";
import { expectProblem, type Schemas } from "../helpers/http.ts";
import { call, createTenant, type TestTenant } from "../helpers/tenants.ts";

type Preview = Schemas["BillingPreview"];

let big: TestTenant;
const PERIOD = "2025-09";

beforeAll(async () => {
  // fintech (base $8,000) with enough usage to reach the 10% band.
  big = await createTenant({ tier: "fintech" });
  await backdate(big.customerId, "2025-09-01", { taxRateBps: 725 });
  await ingestAsJobs([
    {
      customer_id: big.customerId,
      metric: "log_storage_gb_month",
      quantity: "123456.789",
      occurred_at: "2025-09-03T00:00:00Z",
    },
    {
      customer_id: big.customerId,
      metric: "nat_processing_gb",
      quantity: "33333.333333",
      occurred_at: "2025-09-30T23:59:59.999Z",
    },
  ]);
});

describe("the monthly cron and the preview", () => {
  it("the cron (0 0 1 * *) bills the month that just ended, and the preview of that month equals its invoice", async () => {
    const { token } = await userToken(big.customerId, "billing");
    const before = await (await call(`/v1/billing/preview?period=${PERIOD}`, { token })).json<Preview>();
    await worker.scheduled(
      createScheduledController({ cron: "0 0 1 * *", scheduledTime: Date.parse("2025-10-01T00:00:00Z") }),
      env,
    );
    const [job] = await asOwner(
      async (client) =>
        (
          await client.query(
            "SELECT status, detail FROM job_runs WHERE job = 'monthly-billing' ORDER BY started_at DESC LIMIT 1",
          )
        ).rows,
    );
    expect(job).toMatchObject({ status: "succeeded", detail: { period_start: "2025-09-01", status: "succeeded" } });

    const [invoice] = await invoicesFor([big.customerId], "2025-09-01");
    const lines = await adminQuery<{ kind: string; description: string; quantity: string; amount_cents: string }>(
      "SELECT kind, description, quantity::text, amount_cents FROM invoice_line_items WHERE invoice_id = $1 ORDER BY position",
      [invoice!.id],
    );
    const after = await (await call(`/v1/billing/preview?period=${PERIOD}`, { token })).json<Preview>();
    for (const preview of [before, after]) {
      expect(preview).toMatchObject({
        object: "billing_preview",
        period_start: "2025-09-01",
        subtotal_cents: Number(invoice!.subtotal_cents),
        discount_cents: Number(invoice!.discount_cents),
        tax_cents: Number(invoice!.tax_cents),
        total_cents: Number(invoice!.total_cents),
      });
      expect(preview.line_items.map((l) => [l.kind, l.description, Number(l.quantity), l.amount_cents])).toEqual(
        lines.map((l) => [l.kind, l.description, Number(l.quantity), Number(l.amount_cents)]),
      );
    }
    // 800,000 + 1,234,567.89 → 1,234,568 + 33,333.333333 × 4.5 = 149,999.99999985 → 150,000
    expect(Number(invoice!.subtotal_cents)).toBe(800_000 + 1_234_568 + 150_000);
    expect(after.line_items.find((l) => l.kind === "discount")?.description).toBe("Volume discount (10%)");
  });

  it("previews the current month so far by default", async () => {
    const tenant = await createTenant();
    await ingestAsJobs([
      {
        customer_id: tenant.customerId,
        metric: "nat_processing_gb",
        quantity: "1000",
        occurred_at: new Date().toISOString(),
      },
    ]);
    const billing = await userToken(tenant.customerId, "billing");
    const preview = await (await call("/v1/billing/preview", { token: billing.token })).json<Preview>();
    expect(preview).toMatchObject({
      period_start: monthOf(new Date()),
      subtotal_cents: 204_500,
      tax_cents: 16_360,
      total_cents: 220_860,
    });
  });

  it("needs billing:read and a well-formed month", async () => {
    await expectProblem(await call("/v1/billing/preview"), { status: 401 });
    await expectProblem(await call("/v1/billing/preview", { token: big.key }), {
      status: 403,
      type: "insufficient-permission",
    }); // key scopes lack billing:read
    const viewer = await userToken(big.customerId, "viewer");
    await expectProblem(await call("/v1/billing/preview?period=2025-9", { token: viewer.token }), {
      status: 400,
      type: "validation-error",
      field: "query.period",
    });
  });
});
