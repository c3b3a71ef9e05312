// `npm run backtest:forecast`: rolling-origin backtest of the cost forecast (worker/cost/time-series.ts).
// For every origin of every series (from 3 months of history), fit on the months before it,
// forecast 1–3 months ahead, and count how often the actual month lands in the 80 % and 95 %
// intervals (empirical coverage; the goal is within ±5 points) and the mean absolute percentage
// error of the point forecast. Deterministic: seeded series. Prints Markdown (BENCHMARKS.md).
import { demoCustomers } from "../seed/demo.ts";
import {
  backtest,
  coverage,
  mape,
  seedShapedSeries,
  syntheticSeries,
  type BacktestSeries,
  type CoverageCell,
} from "../../worker/cost/backtest.ts";

const SERIES = Number(process.env.BACKTEST_SERIES ?? 1000);
const MONTHS = Number(process.env.BACKTEST_MONTHS ?? 24);
const LEVELS = [0.8, 0.95];

/** The demo seed's usage in cents per month (rate card: log storage $0.10/GB-month, NAT $0.045/GB). */
export function seededHistories(): BacktestSeries[] {
  return demoCustomers.flatMap((c) => [
    { family: "seed_actual", values: c.usage.map(([logGb]) => logGb * 10) },
    { family: "seed_actual", values: c.usage.map(([, natGb]) => Math.round(natGb * 4.5)) },
    { family: "seed_actual", values: c.usage.map(([logGb, natGb]) => logGb * 10 + Math.round(natGb * 4.5)) },
  ]);
}

const pct = (x: number) => `${(x * 100).toFixed(1)} %`;
const row = (label: string, cell: CoverageCell | undefined) =>
  cell
    ? `| ${label} | ${cell.forecasts} | ${pct(coverage(cell, 0.8))} | ${pct(coverage(cell, 0.95))} | ${pct(mape(cell))} |`
    : `| ${label} | 0 | – | – | – |`;

export function backtestReport(series = SERIES, months = MONTHS): string {
  const seeded = seededHistories();
  const synthetic = syntheticSeries(series, months);
  const shaped = seedShapedSeries(seeded, Math.round(series / 5), months);
  const all = backtest([...synthetic, ...shaped], { levels: LEVELS, horizons: 3 });
  const seed = backtest(seeded, { levels: LEVELS, horizons: 3 });
  const families = [
    "linear_trend",
    "random_walk_drift",
    "compound_growth",
    "local_linear_trend",
    "level_shift",
    "seed_shaped",
  ];
  const lines = [
    `Rolling origin, horizons 1–3 months, ${series} synthetic + ${shaped.length} seed-shaped series of ${months} months (forecasts from 3 months of history on).`,
    "",
    "| series, method, horizon | forecasts | 80 % coverage | 95 % coverage | MAPE |",
    "|---|---|---|---|---|",
    row("**all, all methods**", all.cells.get("all|all|all")),
    row("all, holt_linear (6+ months)", all.cells.get("all|holt_linear|all")),
    ...[1, 2, 3].map((h) => row(`all, holt_linear, h = ${h}`, all.cells.get(`all|holt_linear|h${h}`))),
    row("all, drift (3–5 months)", all.cells.get("all|drift|all")),
    ...[1, 2, 3].map((h) => row(`all, drift, h = ${h}`, all.cells.get(`all|drift|h${h}`))),
    ...families.flatMap((f) => [
      row(`${f}, holt_linear`, all.cells.get(`${f}|holt_linear|all`)),
      row(`${f}, drift`, all.cells.get(`${f}|drift|all`)),
    ]),
    row("demo seed as it is (2–4 months a series)", seed.cells.get("all|all|all")),
  ];
  return lines.join("\n");
}

if (import.meta.url === `file://${process.argv[1]}`) {
  console.log(backtestReport());
}
