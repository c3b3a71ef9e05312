// Usage metering: platform-only ingest (app.ingest_usage, migration 0013: all-or-nothing,
// idempotent forever by (customer_id, event_id), exact incremental rollups) and the customer's
// own totals. Reads run on the request role, where RLS limits every row to the caller.
import { sql } from "drizzle-orm";
import type { FieldError } from "../http/problem.ts";
import { priceCustomerPeriod, type SqlRunner } from "../billing/pricing.ts";

export interface UsageEventInput {
  event_id: string;
  customer_id: string;
  metric: string;
  /** Exact decimal text (checked by the schema: ≥ 0, at most 6 decimals). */
  quantity: string;
  occurred_at: string;
  account_id?: string;
}

export type IngestStatus = "accepted" | "duplicate" | "conflict";

export type IngestOutcome =
  | { ok: true; results: { index: number; status: IngestStatus }[] }
  | { ok: false; errors: FieldError[] };

/** Writes the whole batch or nothing; reference problems come back as fields of `body.events.N`. */
export async function ingestUsage(db: SqlRunner, events: UsageEventInput[]): Promise<IngestOutcome> {
  const { rows } = await db.execute(sql`SELECT app.ingest_usage(${JSON.stringify(events)}::jsonb) AS outcome`);
  const outcome = (typeof rows[0]!.outcome === "string" ? JSON.parse(rows[0]!.outcome) : rows[0]!.outcome) as {
    errors?: { index: number; field: string; code: string; message: string }[];
    results?: { index: number; status: IngestStatus }[];
  };
  if (outcome.errors) {
    return {
      ok: false,
      errors: outcome.errors.map((e) => ({
        field: `body.events.${e.index}.${e.field}`,
        code: e.code,
        message: e.message,
      })),
    };
  }
  return { ok: true, results: outcome.results ?? [] };
}

export interface UsageTotal {
  metric: string;
  periodStart: string;
  quantity: string;
  events: number;
}

/** Daily or monthly totals per metric in [from, to), oldest first. */
export async function usageTotals(
  db: SqlRunner,
  customerId: string,
  query: { from: string; to: string; granularity: "day" | "month" },
): Promise<UsageTotal[]> {
  const { rows } =
    query.granularity === "day"
      ? await db.execute(sql`
          SELECT metric, day::text AS period_start, quantity::text AS quantity, events FROM usage_daily
          WHERE customer_id = ${customerId} AND day >= ${query.from}::date AND day < ${query.to}::date
          ORDER BY day, metric`)
      : await db.execute(sql`
          SELECT metric, month::text AS period_start, quantity::text AS quantity, events FROM usage_monthly
          WHERE customer_id = ${customerId} AND month >= date_trunc('month', ${query.from}::date) AND month < ${query.to}::date
          ORDER BY month, metric`);
  return rows.map((r) => ({
    metric: String(r.metric),
    periodStart: String(r.period_start),
    quantity: String(r.quantity),
    events: Number(r.events),
  }));
}

export interface MetricSummary {
  metric: string;
  description: string;
  unit: string;
  unitAmountMicros: number;
  quantity: string;
  events: number;
  /** What this metric's usage line costs in the month's preview (same function as the invoice). */
  previewCostCents: number;
}

/** Every rate-card metric in force for the month, with the caller's usage and its cost so far. */
export async function metricsForMonth(
  db: SqlRunner,
  customerId: string,
  periodStart: string,
): Promise<MetricSummary[]> {
  const { rows } = await db.execute(sql`
    SELECT r.item AS metric, r.description, r.unit, r.unit_price_micros,
           coalesce(u.quantity, 0)::text AS quantity, coalesce(u.events, 0) AS events
    FROM (SELECT DISTINCT ON (item) * FROM rate_card WHERE effective_from <= ${periodStart}::date
          ORDER BY item, effective_from DESC) r
    LEFT JOIN usage_monthly u ON u.customer_id = ${customerId} AND u.metric = r.item AND u.month = ${periodStart}::date
    ORDER BY r.item`);
  const preview = await priceCustomerPeriod(db, customerId, periodStart);
  return rows.map((r) => ({
    metric: String(r.metric),
    description: String(r.description),
    unit: String(r.unit),
    unitAmountMicros: Number(r.unit_price_micros),
    quantity: String(r.quantity),
    events: Number(r.events),
    previewCostCents:
      preview.lines.find((l) => l.kind === "usage" && l.metric === r.metric && l.usageMonth === periodStart)
        ?.amountCents ?? 0,
  }));
}
