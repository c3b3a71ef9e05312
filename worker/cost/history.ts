// Cost history for forecasts and budgets, in one round trip for any number of customers. Runs on
// the request role (RLS: the caller's customer only) and on the jobs role (any customers).
import { sql } from "drizzle-orm";
import type { Database } from "../platform/database.ts";
import { addMonths, monthsBetween, type CostHistory, type DiscountBand } from "./forecast-model.ts";

/** Months of history a forecast looks at: three years is plenty for a trend model. */
export const HISTORY_MONTHS_MAX = 36;

interface HistoryRow extends Record<string, unknown> {
  customer_id: string;
  tier: string;
  base_cents: string | number;
  tax_rate_bps: number;
  bands: { from_subtotal_cents: number; discount_bps: number }[];
  usage: { metric: string; description: string; month: string; cents: number }[] | null;
}

/**
 * Usage of each closed month (and the current month so far), priced per rate-card item at the
 * price in force on `currentMonth`'s first day: round(quantity × unit price) per item and month,
 * half-up to the cent like an invoice line.
 */
export async function loadCostHistories(
  db: Database,
  customerIds: readonly string[],
  currentMonth: string,
): Promise<CostHistory[]> {
  if (customerIds.length === 0) return [];
  const earliest = addMonths(currentMonth, -HISTORY_MONTHS_MAX);
  const { rows } = await db.execute<HistoryRow>(sql`
    WITH prices AS (
      SELECT DISTINCT ON (item) item, description, unit_price_micros
      FROM rate_card WHERE effective_from <= ${currentMonth}::date
      ORDER BY item, effective_from DESC
    ),
    bands AS (
      SELECT coalesce(json_agg(json_build_object('from_subtotal_cents', from_subtotal_cents, 'discount_bps', discount_bps)), '[]') AS bands
      FROM volume_discount_bands
      WHERE effective_from = (SELECT max(effective_from) FROM volume_discount_bands WHERE effective_from <= ${currentMonth}::date)
    )
    SELECT c.id AS customer_id, c.tier, tf.base_price_cents AS base_cents, c.tax_rate_bps, b.bands,
           (SELECT json_agg(json_build_object(
                     'metric', u.metric, 'description', p.description, 'month', u.month,
                     'cents', round(u.quantity * p.unit_price_micros / 10000)::bigint) ORDER BY u.month)
            FROM usage_monthly u JOIN prices p ON p.item = u.metric
            WHERE u.customer_id = c.id AND u.month >= ${earliest}::date AND u.month <= ${currentMonth}::date) AS usage
    FROM customers c JOIN tier_features tf ON tf.tier = c.tier CROSS JOIN bands b
    WHERE c.id = ANY (${sql.param([...customerIds])}::uuid[])
  `);
  return rows.map((row) => toHistory(row, currentMonth));
}

function toHistory(row: HistoryRow, currentMonth: string): CostHistory {
  const usage = row.usage ?? [];
  const closed = usage.filter((u) => u.month < currentMonth);
  const first = closed.reduce<string | null>((min, u) => (min === null || u.month < min ? u.month : min), null);
  const months = first ? Array.from({ length: monthsBetween(first, currentMonth) }, (_, i) => addMonths(first, i)) : [];
  const items = new Map<string, { item: string; description: string; cents: number[] }>();
  for (const u of closed) {
    let item = items.get(u.metric);
    if (!item) items.set(u.metric, (item = { item: u.metric, description: u.description, cents: months.map(() => 0) }));
    item.cents[monthsBetween(first!, u.month)] = Number(u.cents);
  }
  const monthToDate: Record<string, number> = {};
  for (const u of usage) if (u.month === currentMonth) monthToDate[u.metric] = Number(u.cents);
  const bands: DiscountBand[] = row.bands.map((b) => ({
    fromSubtotalCents: Number(b.from_subtotal_cents),
    discountBps: Number(b.discount_bps),
  }));
  return {
    customerId: row.customer_id,
    tier: row.tier,
    baseCents: Number(row.base_cents),
    taxRateBps: Number(row.tax_rate_bps),
    bands,
    months,
    items: [...items.values()].sort((a, b) => a.item.localeCompare(b.item)),
    monthToDate,
  };
}
