// Cost forecasts: served from the per-customer-month cache in cost_forecasts when it is fresh,
// else computed live from the history (one round trip either way, plus one on a miss). The
// daily job refreshes the cache for every customer; a row older than the customer's newest
// invoice, fitted before last month closed, or past its 90-day retention is never served.
import { lt, sql } from "drizzle-orm";
import { costForecasts } from "../../db/schema.ts";
import type { Database } from "../platform/database.ts";
import {
  addMonths,
  buildMonthModels,
  FORECAST_MONTHS_MAX,
  monthOf,
  renderMonth,
  type CachedForecastModel,
  type RenderedMonth,
} from "./forecast-model.ts";
import { loadCostHistories } from "./history.ts";

/** The cached rows' stored interval (0009's columns): the 80 % interval of the invoice total. */
export const CACHED_LEVEL = 0.8;

export interface CostForecast {
  source: "cache" | "live";
  generatedAt: Date;
  model: CachedForecastModel[];
}

interface CacheRow extends Record<string, unknown> {
  model: CachedForecastModel;
  generated_at: string;
}

/** The models of the `months` months from the current one for one customer (RLS-bound db). */
export async function loadForecast(db: Database, customerId: string, months: number, now: Date): Promise<CostForecast> {
  const first = monthOf(now);
  const { rows } = await db.execute<CacheRow>(sql`
    SELECT f.model, f.generated_at FROM cost_forecasts f
    WHERE f.customer_id = ${customerId} AND f.month >= ${first}::date AND f.month < ${addMonths(first, months)}::date
      AND f.history_through = ${addMonths(first, -1)}::date AND f.expires_at > now()
      AND f.generated_at > coalesce((SELECT max(i.created_at) FROM invoices i WHERE i.customer_id = ${customerId}), '-infinity')
    ORDER BY f.month`);
  if (rows.length === months) {
    return {
      source: "cache",
      generatedAt: new Date(Math.min(...rows.map((r) => new Date(r.generated_at).getTime()))),
      model: rows.map((r) => r.model),
    };
  }
  const [history] = await loadCostHistories(db, [customerId], first);
  if (!history) throw new Error(`customer ${customerId} is not visible to its own context`);
  return { source: "live", generatedAt: now, model: buildMonthModels(history, first, months) };
}

export function renderForecast(forecast: CostForecast, level: number): RenderedMonth[] {
  return forecast.model.map((m) => renderMonth(m, level, m));
}

/**
 * Refits and caches the next 12 months for these customers (jobs role: any customer), and
 * drops cached rows past retention. Customers with less than 3 months of history get no rows:
 * there is no number to cache.
 */
export async function refreshForecasts(
  db: Database,
  customerIds: readonly string[],
  now: Date,
): Promise<{ cached: number; insufficient: number }> {
  const first = monthOf(now);
  const histories = await loadCostHistories(db, customerIds, first);
  const rows: (typeof costForecasts.$inferInsert)[] = [];
  let insufficient = 0;
  for (const history of histories) {
    const models = buildMonthModels(history, first, FORECAST_MONTHS_MAX);
    if (models[0]!.method === "insufficient_history") {
      insufficient++;
      continue;
    }
    for (const model of models) {
      const month = renderMonth(model, CACHED_LEVEL, model);
      const total = month.total!;
      rows.push({
        customerId: history.customerId,
        month: model.month,
        method: model.method,
        forecastCents: total.expected_cents,
        lowerCents: total.lower_cents,
        upperCents: total.upper_cents,
        confidence: CACHED_LEVEL.toFixed(3),
        historyMonths: model.historyMonths,
        historyThrough: addMonths(first, -1),
        model,
        generatedAt: now,
        expiresAt: new Date(now.getTime() + 90 * 86_400_000),
      });
    }
  }
  for (let i = 0; i < rows.length; i += 500) {
    await db
      .insert(costForecasts)
      .values(rows.slice(i, i + 500))
      .onConflictDoUpdate({
        target: [costForecasts.customerId, costForecasts.month],
        set: {
          method: sql`excluded.method`,
          forecastCents: sql`excluded.forecast_cents`,
          lowerCents: sql`excluded.lower_cents`,
          upperCents: sql`excluded.upper_cents`,
          confidence: sql`excluded.confidence`,
          historyMonths: sql`excluded.history_months`,
          historyThrough: sql`excluded.history_through`,
          model: sql`excluded.model`,
          generatedAt: sql`excluded.generated_at`,
          expiresAt: sql`excluded.expires_at`,
        },
      });
  }
  return { cached: rows.length / FORECAST_MONTHS_MAX, insufficient };
}

/** Forecast rows are kept 90 days after they were last refreshed (past months included: a record of what was forecast). */
export async function purgeExpiredForecasts(db: Database, now: Date): Promise<number> {
  const deleted = await db
    .delete(costForecasts)
    .where(lt(costForecasts.expiresAt, now))
    .returning({ month: costForecasts.month });
  return deleted.length;
}

/** The point forecast and upper bound of the invoice total for one month (budgets). */
export function totalAt(model: CachedForecastModel, level: number): { expected: number; upper: number } | null {
  if (!model.usageSubtotal) return null;
  const rendered = renderMonth(model, level, model).total!;
  return { expected: rendered.expected_cents, upper: rendered.upper_cents };
}
