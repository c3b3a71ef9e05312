// What a customer-month costs, from the one SQL function the monthly run also uses
// (app.billing_lines, migration 0012): the preview and the metrics' cost column can never
// disagree with the invoice. On the request role, RLS limits the function to the caller.
import { sql, type SQL } from "drizzle-orm";

/** Anything that runs a drizzle SQL query and returns rows (request or jobs connection). */
export interface SqlRunner {
  execute(query: SQL): Promise<{ rows: Record<string, unknown>[] }>;
}

export type LineKind = "base" | "usage" | "discount" | "tax";

export interface PricedLine {
  position: number;
  kind: LineKind;
  description: string;
  metric: string | null;
  usageMonth: string | null;
  /** Exact decimal, as Postgres printed it. */
  quantity: string;
  unit: string | null;
  unitAmountMicros: number | null;
  amountCents: number;
}

export interface PricedPeriod {
  periodStart: string;
  lines: PricedLine[];
  subtotalCents: number;
  discountCents: number;
  taxCents: number;
  totalCents: number;
}

const toNumber = (value: unknown) => (value === null || value === undefined ? null : Number(value));

/** Totals of priced lines: the same sums the run writes on the invoice. */
export function summarize(periodStart: string, lines: PricedLine[]): PricedPeriod {
  const sum = (kinds: LineKind[]) => lines.filter((l) => kinds.includes(l.kind)).reduce((s, l) => s + l.amountCents, 0);
  const subtotalCents = sum(["base", "usage"]);
  const discountCents = 0 - sum(["discount"]);
  const taxCents = sum(["tax"]);
  return {
    periodStart,
    lines,
    subtotalCents,
    discountCents,
    taxCents,
    totalCents: subtotalCents - discountCents + taxCents,
  };
}

/** One customer's invoice for `periodStart` as the run would issue it now. */
export async function priceCustomerPeriod(
  db: SqlRunner,
  customerId: string,
  periodStart: string,
): Promise<PricedPeriod> {
  const { rows } = await db.execute(sql`
    SELECT position, kind, description, metric, usage_month::text AS usage_month, quantity::text AS quantity, unit,
           unit_amount_micros, amount_cents
    FROM app.billing_lines(${periodStart}::date, ARRAY[${customerId}::uuid])
    ORDER BY position`);
  const lines = rows.map((r) => ({
    position: Number(r.position),
    kind: r.kind as LineKind,
    description: String(r.description),
    metric: (r.metric as string | null) ?? null,
    usageMonth: (r.usage_month as string | null) ?? null,
    quantity: String(r.quantity),
    unit: (r.unit as string | null) ?? null,
    unitAmountMicros: toNumber(r.unit_amount_micros),
    amountCents: Number(r.amount_cents),
  }));
  return summarize(periodStart, lines);
}
