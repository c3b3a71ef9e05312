// Rolling-origin evaluation of worker/cost/time-series.ts: for every origin of every series, fit on
// the months before it, forecast the next `horizons` months, and count how often the actual
// month falls inside the L-level interval (empirical coverage) and how far the mean was off
// (MAPE). Pure, deterministic (seeded generators), shared by dev/bench/backtest-forecast.ts and
// the bench.
import { forecastSeries, intervalAt } from "./time-series.ts";

export interface BacktestSeries {
  family: string;
  values: number[];
}

export interface CoverageCell {
  forecasts: number;
  covered: Record<string, number>;
  absolutePercentErrorSum: number;
}

export interface BacktestResult {
  levels: number[];
  /** Keyed by `${family}|${method}|h${h}` and rolled up as `all|${method}|all`, `all|all|all`. */
  cells: Map<string, CoverageCell>;
}

export function backtest(
  series: readonly BacktestSeries[],
  options: { levels: number[]; horizons: number; minHistory?: number },
): BacktestResult {
  const cells = new Map<string, CoverageCell>();
  const cell = (key: string) => {
    let c = cells.get(key);
    if (!c)
      cells.set(
        key,
        (c = {
          forecasts: 0,
          covered: Object.fromEntries(options.levels.map((l) => [String(l), 0])),
          absolutePercentErrorSum: 0,
        }),
      );
    return c;
  };
  for (const s of series) {
    for (let origin = options.minHistory ?? 3; origin < s.values.length; origin++) {
      const horizon = Math.min(options.horizons, s.values.length - origin);
      const fit = forecastSeries(s.values.slice(0, origin), horizon);
      if (fit.status !== "ok") continue;
      for (const step of fit.steps) {
        const actual = s.values[origin + step.h - 1]!;
        const keys = [
          `${s.family}|${fit.method}|h${step.h}`,
          `${s.family}|${fit.method}|all`,
          `all|${fit.method}|all`,
          `all|all|all`,
          `all|${fit.method}|h${step.h}`,
        ];
        for (const key of keys) {
          const c = cell(key);
          c.forecasts++;
          c.absolutePercentErrorSum += Math.abs(actual - step.mean) / Math.abs(actual);
          for (const level of options.levels) {
            const { lower, upper } = intervalAt(step, level);
            if (actual >= lower && actual <= upper) c.covered[String(level)]!++;
          }
        }
      }
    }
  }
  return { levels: options.levels, cells };
}

export function coverage(cell: CoverageCell, level: number): number {
  return cell.covered[String(level)]! / cell.forecasts;
}

export function mape(cell: CoverageCell): number {
  return cell.absolutePercentErrorSum / cell.forecasts;
}

/** mulberry32: a small seeded generator, so every run of the backtest sees the same series. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function normal(random: () => number): number {
  // Box–Muller; 1 − u keeps log away from 0.
  return Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
}

/**
 * Synthetic monthly cost histories (cents) of the shapes usage bills take: a steady trend with
 * noise, a random walk with drift, compounding growth, a local-linear-trend (the model Holt
 * assumes), and a step when a workload moves in. Levels and noise are drawn per series.
 */
export function syntheticSeries(count: number, months: number, seed = 12): BacktestSeries[] {
  const random = seededRandom(seed);
  const out: BacktestSeries[] = [];
  const families = [
    "linear_trend",
    "random_walk_drift",
    "compound_growth",
    "local_linear_trend",
    "level_shift",
  ] as const;
  for (let i = 0; i < count; i++) {
    const family = families[i % families.length]!;
    const start = 50_000 + random() * 2_000_000;
    const noise = 0.02 + random() * 0.08;
    const values: number[] = [];
    let level = start;
    let trend = start * (random() * 0.04 - 0.005);
    for (let t = 0; t < months; t++) {
      const e = normal(random);
      switch (family) {
        case "linear_trend":
          values.push(start + trend * t + noise * start * e);
          break;
        case "random_walk_drift":
          level += trend + noise * start * e;
          values.push(level);
          break;
        case "compound_growth":
          level *= 1 + trend / start + noise * e;
          values.push(level);
          break;
        case "local_linear_trend": {
          const y = level + trend + noise * start * e;
          level = level + trend + 0.4 * noise * start * e;
          trend = trend + 0.05 * noise * start * e;
          values.push(y);
          break;
        }
        case "level_shift":
          if (t === Math.floor(months / 2)) level *= 1.3;
          values.push(level * (1 + noise * e));
          break;
      }
    }
    // A bill does not fall below a tenth of where it started (workloads shrink, rarely vanish);
    // without the floor a wandering trend reaches 0 and percentage errors mean nothing.
    out.push({ family, values: values.map((v) => Math.round(Math.max(0.1 * start, v))) });
  }
  return out;
}

/**
 * Histories shaped like the demo seed's: each seeded series' month-over-month growth (mean and
 * spread of its log ratios) drives `count` 24-month compounding series from its first value.
 * The seed itself is 2–4 months per customer: too short to backtest on its own.
 */
export function seedShapedSeries(
  seeds: readonly BacktestSeries[],
  count: number,
  months: number,
  seed = 99,
): BacktestSeries[] {
  const random = seededRandom(seed);
  const shapes = seeds
    .filter((s) => s.values.length >= 2)
    .map((s) => {
      const logs = s.values.slice(1).map((v, i) => Math.log(v / s.values[i]!));
      const mean = logs.reduce((a, b) => a + b, 0) / logs.length;
      const spread =
        logs.length > 1
          ? Math.sqrt(logs.reduce((a, b) => a + (b - mean) ** 2, 0) / (logs.length - 1))
          : Math.abs(mean) / 2;
      return { start: s.values[0]!, mean, spread: Math.max(spread, 0.01) };
    });
  return Array.from({ length: count }, (_, i) => {
    const shape = shapes[i % shapes.length]!;
    // Growth this steep does not last two years: it halves over a year (mean-reverting to flat).
    const values: number[] = [];
    let level = shape.start;
    for (let t = 0; t < months; t++) {
      values.push(Math.round(level));
      level *= Math.exp(shape.mean * 0.5 ** (t / 12) + shape.spread * normal(random));
    }
    return { family: "seed_shaped", values };
  });
}
