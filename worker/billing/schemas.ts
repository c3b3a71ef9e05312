// Shapes of the billing preview and billing-run endpoints.
import { z } from "@hono/zod-openapi";
import type { PricedPeriod } from "./pricing.ts";
import type { BillingRun } from "./runs.ts";
import { addMonths } from "./periods.ts";

const month = z
  .string()
  .max(7)
  .regex(/^\d{4}-(0[1-9]|1[0-2])$/, "must be a month, YYYY-MM");
const cents = (description: string) =>
  z
    .number()
    .int()
    .openapi({ description: `${description}, in integer cents` });

export const previewLineSchema = z
  .object({
    kind: z.enum(["base", "usage", "discount", "tax"]),
    description: z.string().openapi({ example: "NAT data processing" }),
    metric: z.string().nullable().openapi({ example: "nat_processing_gb" }),
    usage_month: z.string().nullable().openapi({
      format: "date",
      description: "The month of usage a usage line bills (an earlier month for a late-usage adjustment)",
      example: "2026-11-01",
    }),
    quantity: z.string().openapi({ description: "Exact decimal", example: "1000.000000" }),
    unit: z.string().nullable().openapi({ example: "GB" }),
    unit_amount_micros: z.number().int().nullable().openapi({ example: 45000 }),
    amount_cents: cents("Line amount, rounded half-up"),
  })
  .openapi("BillingPreviewLine");

export const previewSchema = z
  .object({
    object: z.literal("billing_preview"),
    period_start: z.string().openapi({ format: "date", example: "2026-11-01" }),
    period_end: z.string().openapi({ format: "date", example: "2026-12-01", description: "Exclusive" }),
    currency: z.literal("usd"),
    subtotal_cents: cents("Base and usage lines"),
    discount_cents: cents("Volume discount"),
    tax_cents: cents("Tax"),
    total_cents: cents("What the invoice would say"),
    line_items: z.array(previewLineSchema),
  })
  .openapi("BillingPreview");

export const previewQuerySchema = z.object({
  period: month.optional().openapi({
    param: { name: "period", in: "query" },
    description:
      "Calendar month (UTC), YYYY-MM. Default: the current month so far. A closed month shows what its invoice says",
    example: "2026-11",
  }),
});

export function toPreview(priced: PricedPeriod): z.infer<typeof previewSchema> {
  return {
    object: "billing_preview",
    period_start: priced.periodStart,
    period_end: addMonths(priced.periodStart, 1),
    currency: "usd",
    subtotal_cents: priced.subtotalCents,
    discount_cents: priced.discountCents,
    tax_cents: priced.taxCents,
    total_cents: priced.totalCents,
    line_items: priced.lines.map((l) => ({
      kind: l.kind,
      description: l.description,
      metric: l.metric,
      usage_month: l.usageMonth,
      quantity: l.quantity,
      unit: l.unit,
      unit_amount_micros: l.unitAmountMicros,
      amount_cents: l.amountCents,
    })),
  };
}

export const billingRunSchema = z
  .object({
    id: z.string().uuid(),
    object: z.literal("billing_run"),
    period_start: z.string().openapi({ format: "date", example: "2026-10-01" }),
    period_end: z.string().openapi({ format: "date", example: "2026-11-01" }),
    status: z.enum(["running", "succeeded", "partial", "failed"]).openapi({
      description:
        "`partial`: some customers could not be invoiced (see `errors`); `failed`: the run stopped, re-run the period to finish it",
    }),
    dry_run: z.boolean(),
    trigger: z.enum(["cron", "manual"]),
    requested_by: z.string().nullable(),
    customers_billed: z.number().int().openapi({ description: "Invoices issued (dry run: customers priced)" }),
    customers_failed: z.number().int(),
    total_cents: cents("Sum of the issued (dry run: priced) invoices"),
    error: z.string().nullable(),
    errors: z.array(z.object({ customer_id: z.string().uuid(), sqlstate: z.string(), error: z.string() })),
    started_at: z.string().datetime({ offset: true }),
    finished_at: z.string().datetime({ offset: true }).nullable(),
  })
  .openapi("BillingRun");

export const createRunBodySchema = z
  .strictObject({
    period: month.openapi({ description: "A closed calendar month (UTC), YYYY-MM", example: "2026-10" }),
    dry_run: z
      .boolean()
      .default(false)
      .openapi({ description: "Price every customer and record the totals without issuing invoices" }),
    batch_size: z.number().int().min(1).max(5000).default(500).openapi({
      description:
        "Customers per transaction: a crash loses at most the batch in flight (it is billed by the next run)",
      example: 500,
    }),
  })
  .openapi("CreateBillingRunRequest", { example: { period: "2026-10", dry_run: true } });

export function toBillingRun(run: BillingRun): z.infer<typeof billingRunSchema> {
  return {
    id: run.id,
    object: "billing_run",
    period_start: run.periodStart,
    period_end: run.periodEnd,
    status: run.status,
    dry_run: run.dryRun,
    trigger: run.trigger,
    requested_by: run.requestedBy,
    customers_billed: run.customersBilled,
    customers_failed: run.customersFailed,
    total_cents: run.totalCents,
    error: run.error,
    errors: run.errors,
    started_at: run.startedAt.toISOString(),
    finished_at: run.finishedAt ? run.finishedAt.toISOString() : null,
  };
}
