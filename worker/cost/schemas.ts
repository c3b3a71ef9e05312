// Request and response shapes of /v1/cost: forecasts and budgets.
import { z } from "@hono/zod-openapi";
import { MIN_HISTORY_MONTHS } from "./time-series.ts";
import type { RenderedMonth } from "./forecast-model.ts";
import type { CostForecast } from "./forecast-cache.ts";
import type { BudgetStatus } from "./budgets.ts";

const cents = (description: string) =>
  z
    .number()
    .int()
    .openapi({ description: `${description}, in integer cents` });
const month = (description: string) => z.string().date().openapi({ description, example: "2026-11-01" });

export const forecastQuerySchema = z.object({
  months: z.coerce
    .number()
    .int()
    .min(1)
    .max(12)
    .default(3)
    .openapi({
      param: { name: "months", in: "query" },
      description: "Months to forecast from the current one, 1–12",
      example: 3,
    }),
  level: z.coerce
    .number()
    .int()
    .min(51)
    .max(99)
    .default(80)
    .openapi({
      param: { name: "level", in: "query" },
      description: "Prediction interval level in percent, 51–99",
      example: 80,
    }),
});

const amountsSchema = z
  .object({
    expected_cents: cents("Point forecast"),
    lower_cents: cents("Lower bound of the interval"),
    upper_cents: cents("Upper bound of the interval"),
  })
  .openapi("ForecastAmounts");

const methodSchema = z.enum(["known", "holt_linear", "drift", "insufficient_history"]).openapi({
  description:
    "`known`: not forecast (the tier base fee); `holt_linear`: Holt's linear trend (6+ months of history); `drift`: random walk with drift (3–5 months, wider intervals); `insufficient_history`: fewer than 3 months, no number",
});

const forecastMonthSchema = z
  .object({
    month: month("First day of the forecast month (UTC)"),
    total: amountsSchema.nullable().openapi({
      description: "The invoice total (base + usage, volume discount and tax applied); null with insufficient history",
    }),
    components: z.array(
      z.object({
        component: z.string().openapi({ description: "`base` or a rate-card item", example: "nat_processing_gb" }),
        description: z.string().openapi({ example: "NAT data processing" }),
        method: methodSchema,
        amounts: amountsSchema
          .nullable()
          .openapi({ description: "Before discount and tax; null with insufficient history" }),
      }),
    ),
  })
  .openapi("CostForecastMonth");

export const forecastSchema = z
  .object({
    object: z.literal("cost_forecast"),
    currency: z.literal("usd"),
    level: z.number().int().openapi({ description: "Interval level in percent", example: 80 }),
    status: z.enum(["ok", "insufficient_history"]).openapi({
      description: `\`insufficient_history\`: fewer than ${MIN_HISTORY_MONTHS} closed months of usage; only the known base fee is given`,
    }),
    method: z.enum(["holt_linear", "drift", "insufficient_history"]),
    history: z.object({
      months: z.number().int().openapi({ description: "Closed months of usage the fit used" }),
      from: month("First history month").nullable(),
      through: month("Last history month").nullable(),
      minimum_months: z.number().int().openapi({ example: MIN_HISTORY_MONTHS }),
    }),
    source: z
      .enum(["cache", "live"])
      .openapi({ description: "`cache`: the daily forecast; `live`: computed for this request (the cache was stale)" }),
    generated_at: z.string().datetime({ offset: true }),
    months: z.array(forecastMonthSchema),
  })
  .openapi("CostForecast");

export function toForecast(
  forecast: CostForecast,
  level: number,
  months: RenderedMonth[],
): z.infer<typeof forecastSchema> {
  const first = forecast.model[0]!;
  return {
    object: "cost_forecast",
    currency: "usd",
    level,
    status: first.method === "insufficient_history" ? "insufficient_history" : "ok",
    method: first.method,
    history: {
      months: first.historyMonths,
      from: first.historyFrom,
      through: first.historyThrough,
      minimum_months: MIN_HISTORY_MONTHS,
    },
    source: forecast.source,
    generated_at: forecast.generatedAt.toISOString(),
    months,
  };
}

export const budgetInputSchema = z
  .strictObject({
    monthly_limit_cents: z
      .number()
      .int()
      .min(1)
      .max(100_000_000_000)
      .openapi({ description: "Monthly budget in integer cents (up to $1 billion)", example: 2_500_000 }),
    alert_thresholds: z
      .array(z.number().int().min(1).max(500))
      .min(1)
      .max(10)
      .default([80, 100])
      .openapi({
        description: "Percentages of the budget that alert once per month each (1–500, up to 10)",
        example: [80, 100],
      }),
  })
  .openapi("CostBudgetInput");

const alertSchema = z.object({
  threshold_percent: z.number().int(),
  basis: z.enum(["actual", "forecast"]),
  amount_cents: cents("The amount that reached the threshold"),
  alerted_at: z.string().datetime({ offset: true }),
});

export const budgetSchema = z
  .object({
    id: z.string().uuid(),
    object: z.literal("cost_budget"),
    monthly_limit_cents: cents("Monthly budget"),
    alert_thresholds: z.array(z.number().int()).openapi({ example: [80, 100] }),
    current_month: z.object({
      month: month("The current month"),
      month_to_date_cents: cents("Invoice total so far: tier base + usage to date, discount and tax applied"),
      forecast_cents: cents("Forecast of the month's invoice total").nullable(),
      percent_used: z.number().openapi({ description: "month_to_date / budget × 100, one decimal" }),
      alerts: z.array(alertSchema).openapi({ description: "Thresholds alerted this month (each at most once)" }),
    }),
    created_at: z.string().datetime({ offset: true }),
    updated_at: z.string().datetime({ offset: true }),
  })
  .openapi("CostBudget");

export function toBudget(status: BudgetStatus): z.infer<typeof budgetSchema> {
  const { budget } = status;
  return {
    id: budget.id,
    object: "cost_budget",
    monthly_limit_cents: budget.monthlyLimitCents,
    alert_thresholds: budget.alertThresholds,
    current_month: {
      month: status.month,
      month_to_date_cents: status.monthToDateCents,
      forecast_cents: status.forecastCents,
      percent_used: Math.round((status.monthToDateCents * 1000) / budget.monthlyLimitCents) / 10,
      alerts: status.alerts.map((a) => ({
        threshold_percent: a.thresholdPercent,
        basis: a.basis,
        amount_cents: a.amountCents,
        alerted_at: a.createdAt.toISOString(),
      })),
    },
    created_at: budget.createdAt.toISOString(),
    updated_at: budget.updatedAt.toISOString(),
  };
}
