// From a customer's cost history to a per-month forecast document (pure; the queries are in
// history.ts). What is forecast and what is not:
//   - base: the tier's monthly fee is known, not forecast (zero-width interval);
//   - each usage item (rate-card item): its own series, fitted by forecast.ts;
//   - the invoice total: base + the usage subtotal, with the volume discount band and tax
//     applied. The usage subtotal is fitted as its own series (the sum of per-item bounds is
//     not a bound of the sum), and the total's bounds are the discount-and-tax function of the
//     subtotal's bounds (that function is monotone but for the few cents a band edge moves it).
// History is repriced at the rate card in force on the forecast's first month, so a price change
// is not mistaken for a trend.
import { forecastSeries, intervalAt, type ForecastMethod, type ForecastStep } from "./time-series.ts";

export interface DiscountBand {
  fromSubtotalCents: number;
  discountBps: number;
}

export interface CostHistory {
  customerId: string;
  tier: string;
  baseCents: number;
  taxRateBps: number;
  bands: DiscountBand[];
  /** Closed months the history covers, oldest first (ISO dates, first of month). */
  months: string[];
  /** Per rate-card item, cents per history month (0 where nothing was used). */
  items: { item: string; description: string; cents: number[] }[];
  /** Usage cents of the current month so far, per item. */
  monthToDate: Record<string, number>;
}

export type ComponentMethod = ForecastMethod | "known" | "insufficient_history";

/** What the cache keeps for one customer-month: any level can be drawn from it. */
export interface CachedForecastModel {
  month: string;
  h: number;
  historyFrom: string | null;
  historyThrough: string | null;
  historyMonths: number;
  method: ForecastMethod | "insufficient_history";
  tier: string;
  baseCents: number;
  taxRateBps: number;
  bands: DiscountBand[];
  usageSubtotal: ForecastStep | null;
  items: { item: string; description: string; step: ForecastStep | null }[];
}

export const FORECAST_MONTHS_MAX = 12;

export function addMonths(month: string, n: number): string {
  const d = new Date(`${month}T00:00:00Z`);
  return new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + n, 1)).toISOString().slice(0, 10);
}

export function monthOf(now: Date): string {
  return new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1)).toISOString().slice(0, 10);
}

/** The models of `count` months starting at `firstMonth` (the current month: h = 1). */
export function buildMonthModels(
  history: CostHistory,
  firstMonth: string,
  count: number = FORECAST_MONTHS_MAX,
): CachedForecastModel[] {
  const n = history.months.length;
  const historyThrough = n > 0 ? history.months[n - 1]! : null;
  // h counts from the last history month; it is 1 for the current month when last month closed.
  const offset = historyThrough ? monthsBetween(historyThrough, firstMonth) : 1;
  const horizon = offset + count - 1;
  const subtotal = forecastSeries(
    history.months.map((_, i) => history.items.reduce((sum, item) => sum + item.cents[i]!, 0)),
    horizon,
  );
  const items = history.items.map((item) => ({
    item: item.item,
    description: item.description,
    fit: forecastSeries(item.cents, horizon),
  }));
  const method = subtotal.status === "ok" ? subtotal.method : "insufficient_history";
  return Array.from({ length: count }, (_, i) => {
    const h = offset + i;
    return {
      month: addMonths(firstMonth, i),
      h,
      historyFrom: history.months[0] ?? null,
      historyThrough,
      historyMonths: n,
      method,
      tier: history.tier,
      baseCents: history.baseCents,
      taxRateBps: history.taxRateBps,
      bands: history.bands,
      usageSubtotal: subtotal.status === "ok" ? subtotal.steps[h - 1]! : null,
      items: items.map(({ item, description, fit }) => ({
        item,
        description,
        step: fit.status === "ok" ? fit.steps[h - 1]! : null,
      })),
    };
  });
}

export interface Amounts {
  expected_cents: number;
  lower_cents: number;
  upper_cents: number;
}

export interface RenderedMonth {
  month: string;
  total: Amounts | null;
  components: { component: string; description: string; method: ComponentMethod; amounts: Amounts | null }[];
}

/** One month at level L (0–1), with amounts in whole cents. */
export function renderMonth(
  model: CachedForecastModel,
  level: number,
  pricing: { taxRateBps: number; bands: DiscountBand[] },
): RenderedMonth {
  const amountsOf = (step: ForecastStep): Amounts => {
    const { lower, upper } = intervalAt(step, level);
    return { expected_cents: Math.round(step.mean), lower_cents: Math.round(lower), upper_cents: Math.round(upper) };
  };
  const base = { expected_cents: model.baseCents, lower_cents: model.baseCents, upper_cents: model.baseCents };
  const total = model.usageSubtotal
    ? (() => {
        const usage = amountsOf(model.usageSubtotal);
        const bill = (usageCents: number) =>
          invoiceTotalCents(model.baseCents + usageCents, pricing.bands, pricing.taxRateBps);
        const [lower, expected, upper] = [bill(usage.lower_cents), bill(usage.expected_cents), bill(usage.upper_cents)];
        // A band edge can make the total dip by a few cents as the subtotal grows: keep the order.
        return {
          expected_cents: expected,
          lower_cents: Math.min(lower, expected),
          upper_cents: Math.max(upper, expected),
        };
      })()
    : null;
  return {
    month: model.month,
    total,
    components: [
      { component: "base", description: `${titleCase(model.tier)} tier base fee`, method: "known", amounts: base },
      ...model.items.map(({ item, description, step }) => ({
        component: item,
        description,
        method: step ? model.method : ("insufficient_history" as const),
        amounts: step ? amountsOf(step) : null,
      })),
    ],
  };
}

/**
 * What an invoice totals for a pre-tax subtotal, as the billing engine computes it: the highest
 * volume band reached discounts the whole subtotal, tax applies to the discounted subtotal, each
 * rounded half-up to the cent (BigInt: cents × basis points can exceed 2^53).
 */
export function invoiceTotalCents(subtotalCents: number, bands: readonly DiscountBand[], taxRateBps: number): number {
  const subtotal = BigInt(Math.max(0, Math.round(subtotalCents)));
  const band = [...bands]
    .filter((b) => BigInt(b.fromSubtotalCents) <= subtotal)
    .sort((a, b) => b.fromSubtotalCents - a.fromSubtotalCents)[0];
  const halfUp = (numerator: bigint) => (numerator + 5000n) / 10000n;
  const discount = halfUp(subtotal * BigInt(band?.discountBps ?? 0));
  const tax = halfUp((subtotal - discount) * BigInt(taxRateBps));
  return Number(subtotal - discount + tax);
}

export function monthsBetween(from: string, to: string): number {
  const [a, b] = [new Date(`${from}T00:00:00Z`), new Date(`${to}T00:00:00Z`)];
  return (b.getUTCFullYear() - a.getUTCFullYear()) * 12 + (b.getUTCMonth() - a.getUTCMonth());
}

function titleCase(tier: string): string {
  return tier
    .split("_")
    .map((w) => w.charAt(0).toUpperCase() + w.slice(1))
    .join(" ");
}
