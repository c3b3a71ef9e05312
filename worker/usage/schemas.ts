// Request and response shapes of the usage endpoints.
import { z } from "@hono/zod-openapi";
import { text } from "../http/input.ts";
import { addMonths, LOOKBACK_MONTHS, monthOf } from "../billing/periods.ts";

/** numeric(20, 6): up to 14 integer digits and 6 decimals; never negative, never rounded. */
const DECIMAL = /^\d{1,14}(\.\d{1,6})?$/;
/** How far ahead of our clock a collector's clock may be. */
export const MAX_FUTURE_MS = 5 * 60_000;

const quantitySchema = z
  .union([z.number(), z.string().max(40)])
  .transform((value, ctx) => {
    const text = typeof value === "number" ? String(value) : value;
    if (!DECIMAL.test(text)) {
      ctx.addIssue({ code: "custom", message: "must be a finite, non-negative decimal with at most 6 decimal places" });
      return z.NEVER;
    }
    return text;
  })
  .openapi({
    description:
      "Billable quantity in the metric's unit (GB-month already prorated by the collector). A number or an exact decimal string.",
    example: "100.5",
  });

export const usageEventSchema = z
  .strictObject({
    event_id: text({ min: 1, max: 200, trim: false }).openapi({
      description: "Unique per customer, forever: a retry is reported as `duplicate`",
      example: "nat-2026-11-22T10:00Z-i-0abc",
    }),
    customer_id: z.string().uuid(),
    metric: z
      .string()
      .max(100)
      .regex(/^[a-z_]+$/, "must be a rate card item")
      .openapi({ example: "nat_processing_gb" }),
    quantity: quantitySchema,
    occurred_at: z.string().datetime({ offset: true }).openapi({
      description: "When the usage happened; decides its day and month (UTC)",
      example: "2026-11-22T10:00:00Z",
    }),
    account_id: z
      .string()
      .uuid()
      .optional()
      .openapi({ description: "The managed account it belongs to (must be the customer's)" }),
  })
  .superRefine((event, ctx) => {
    const at = Date.parse(event.occurred_at);
    const now = Date.now();
    if (at > now + MAX_FUTURE_MS) {
      ctx.addIssue({ code: "custom", path: ["occurred_at"], message: "is more than 5 minutes in the future" });
    }
    const oldest = addMonths(monthOf(new Date(now)), -LOOKBACK_MONTHS);
    if (at < Date.parse(`${oldest}T00:00:00Z`)) {
      ctx.addIssue({
        code: "custom",
        path: ["occurred_at"],
        message: `is before ${oldest}: late usage is accepted for the current month and the ${LOOKBACK_MONTHS} before it`,
      });
    }
  });

export const ingestBodySchema = z
  .strictObject({ events: z.array(usageEventSchema).min(1).max(1000) })
  .openapi("UsageBatch", {
    example: {
      events: [
        {
          event_id: "logs-2026-11-acme",
          customer_id: "0192a000-0000-7000-8000-00000000a001",
          metric: "log_storage_gb_month",
          quantity: "100",
          occurred_at: "2026-11-22T10:00:00Z",
        },
      ],
    },
  });

export const ingestResultSchema = z
  .object({
    object: z.literal("usage_ingest_result"),
    accepted: z.number().int(),
    duplicates: z.number().int(),
    conflicts: z.number().int(),
    data: z.array(
      z.object({
        index: z.number().int(),
        event_id: z.string(),
        customer_id: z.string().uuid(),
        status: z.enum(["accepted", "duplicate", "conflict"]).openapi({
          description:
            "`duplicate`: already stored with the same payload (nothing changed). `conflict`: already stored with a different payload; the stored event is kept",
        }),
      }),
    ),
  })
  .openapi("UsageIngestResult");

const dateParam = (name: string, description: string) =>
  z
    .string()
    .date()
    .optional()
    .openapi({ param: { name, in: "query" }, description, example: name === "from" ? "2026-11-01" : "2026-12-01" });

export const usageQuerySchema = z.object({
  from: dateParam("from", "First day included (default: the first day of the current month, UTC)"),
  to: dateParam("to", "First day not included (default: the first day of the next month)"),
  granularity: z
    .enum(["day", "month"])
    .default("day")
    .openapi({ param: { name: "granularity", in: "query" }, example: "day" }),
});

export const usageListSchema = z
  .object({
    object: z.literal("list"),
    granularity: z.enum(["day", "month"]),
    from: z.string().openapi({ format: "date" }),
    to: z.string().openapi({ format: "date" }),
    data: z.array(
      z.object({
        metric: z.string().openapi({ example: "nat_processing_gb" }),
        period_start: z.string().openapi({ format: "date", example: "2026-11-22" }),
        quantity: z.string().openapi({ description: "Exact decimal", example: "1000.000000" }),
        events: z.number().int(),
      }),
    ),
  })
  .openapi("UsageTotals");

export const monthQuerySchema = z.object({
  period: z
    .string()
    .max(7)
    .regex(/^\d{4}-(0[1-9]|1[0-2])$/, "must be a month, YYYY-MM")
    .optional()
    .openapi({
      param: { name: "period", in: "query" },
      description: "Calendar month (UTC), YYYY-MM; default: the current month",
      example: "2026-11",
    }),
});

export const metricsSchema = z
  .object({
    object: z.literal("list"),
    period_start: z.string().openapi({ format: "date", example: "2026-11-01" }),
    period_end: z.string().openapi({ format: "date", example: "2026-12-01", description: "Exclusive" }),
    currency: z.literal("usd"),
    data: z.array(
      z.object({
        metric: z.string().openapi({ example: "nat_processing_gb" }),
        description: z.string().openapi({ example: "NAT data processing" }),
        unit: z.string().openapi({ example: "GB" }),
        unit_amount_micros: z.number().int().openapi({ example: 45000 }),
        quantity: z.string().openapi({ example: "1000.000000" }),
        events: z.number().int(),
        preview_cost_cents: z.number().int().openapi({
          description: "This metric's line in the month's billing preview, in cents (before discount and tax)",
          example: 4500,
        }),
      }),
    ),
  })
  .openapi("Metrics");
