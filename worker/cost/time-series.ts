// Monthly cost forecasting with prediction intervals (pure: no I/O, no clock).
//
// One series = one cost component's monthly amounts in cents, oldest first, ending with the last
// closed month (the "origin" T). Which method runs depends only on how many months there are:
//
//   n >= 6   Holt's linear trend with additive errors, ETS(A,A,N) in innovations form:
//              forecast      ŷ(T+h)  = ℓ(T) + h·b(T)
//              level         ℓ(t)    = ℓ(t−1) + b(t−1) + α·e(t)
//              trend         b(t)    = b(t−1) + β·e(t)             (0 ≤ β ≤ α ≤ 1)
//              one-step err  e(t)    = y(t) − ℓ(t−1) − b(t−1)
//            started at ℓ(2) = y(2), b(2) = y(2) − y(1); α, β minimise Σ e(t)², t = 3..n, over a
//            0.05 grid. The h-step forecast error of this linear state-space model is
//              e(T+h) = ε(T+h) + Σ_{j=1..h−1} c(j)·ε(T+h−j),   c(j) = α + j·β,
//            so its variance is the closed form
//              σ²(h)  = σ² · (1 + Σ_{j=1..h−1} (α + j·β)²)
//            (Hyndman et al., "Forecasting with Exponential Smoothing", 2008, table 6.1, class 1).
//            σ² = SSE / (n − 4): n − 2 errors, two smoothing parameters estimated.
//
//   3..5     Too short to estimate two smoothing parameters honestly: the drift method (a random
//            walk with drift), with the drift's own estimation error in the interval:
//              ŷ(T+h) = y(T) + h·d,          d = (y(T) − y(1)) / (T − 1)
//              σ²(h)  = σ² · h · (1 + h / (T − 1)),   σ² = Σ (Δy(t) − d)² / (T − 2)
//            (Hyndman & Athanasopoulos, FPP3 §5.5). With 3 months σ² rests on 2 differences.
//
//   < 3      No forecast: the caller says "insufficient_history"; never a made-up number.
//
// Interval at level L: ŷ ± t(df, (1 + L)/2) · σ(h), with Student's t on the residual degrees of
// freedom (n − 4 for Holt, T − 2 for drift) instead of the normal quantile, because σ itself is
// estimated from a handful of months; this is what keeps coverage near L on short histories
// (see dev/bench/backtest-forecast.ts and BENCHMARKS.md). Costs are never negative, so the mean
// and the lower bound are clamped at 0. A series that fits perfectly (σ = 0, e.g. a flat fee
// booked as usage) gets σ = 1 % of its mean absolute value: a perfect past is not a certain future.
import { studentTQuantile } from "./student-t.ts";

export const MIN_HISTORY_MONTHS = 3;
export const HOLT_MIN_HISTORY_MONTHS = 6;

export type ForecastMethod = "holt_linear" | "drift";

/** One horizon of a fitted series: enough to draw an interval at any level. */
export interface ForecastStep {
  /** Months after the last history month (1 = the month right after it). */
  h: number;
  /** Point forecast in cents (unrounded, ≥ 0). */
  mean: number;
  /** Standard deviation of the h-step forecast error, in cents. */
  sd: number;
  /** Degrees of freedom of the t quantile. */
  df: number;
}

export type SeriesForecast =
  | {
      status: "ok";
      method: ForecastMethod;
      historyMonths: number;
      parameters: Record<string, number>;
      steps: ForecastStep[];
    }
  | { status: "insufficient_history"; historyMonths: number };

export interface Interval {
  lower: number;
  upper: number;
}

/** Forecasts `horizon` months after the last value of `history` (cents per month, oldest first). */
export function forecastSeries(history: readonly number[], horizon: number): SeriesForecast {
  const n = history.length;
  if (n < MIN_HISTORY_MONTHS) return { status: "insufficient_history", historyMonths: n };
  if (!Number.isInteger(horizon) || horizon < 1)
    throw new RangeError(`horizon must be a positive integer, got ${horizon}`);
  return n >= HOLT_MIN_HISTORY_MONTHS ? holt(history, horizon) : drift(history, horizon);
}

/** The central L-level interval of one step: mean ± t·sd, clamped at 0 below. */
export function intervalAt(step: ForecastStep, level: number): Interval {
  if (!(level > 0 && level < 1)) throw new RangeError(`level must be in (0, 1), got ${level}`);
  const q = tQuantile((1 + level) / 2, step.df);
  return { lower: Math.max(0, step.mean - q * step.sd), upper: Math.max(step.mean, step.mean + q * step.sd) };
}

/** The p-quantile of Student's t with df degrees of freedom (./student-t.ts). */
export function tQuantile(p: number, df: number): number {
  return studentTQuantile(p, df);
}

interface HoltFit {
  alpha: number;
  beta: number;
  level: number;
  trend: number;
  sse: number;
}

function holtPass(y: readonly number[], alpha: number, beta: number): HoltFit {
  let level = y[1]!;
  let trend = y[1]! - y[0]!;
  let sse = 0;
  for (let t = 2; t < y.length; t++) {
    const error = y[t]! - (level + trend);
    sse += error * error;
    level = level + trend + alpha * error;
    trend = trend + beta * error;
  }
  return { alpha, beta, level, trend, sse };
}

function holt(y: readonly number[], horizon: number): SeriesForecast {
  let best: HoltFit | undefined;
  // A 0.05 grid over 0 < α ≤ 1, 0 ≤ β ≤ α: 210 passes over a few dozen months, deterministic
  // (no optimiser starting point to explain), and the SSE surface is smooth at this resolution.
  for (let a = 1; a <= 20; a++) {
    for (let b = 0; b <= a; b++) {
      const fit = holtPass(y, a / 20, b / 20);
      if (!best || fit.sse < best.sse - 1e-9) best = fit;
    }
  }
  const fit = best!;
  const df = y.length - 4;
  const sigma = floorSigma(Math.sqrt(fit.sse / df), y);
  const steps: ForecastStep[] = [];
  let cumulative = 0;
  for (let h = 1; h <= horizon; h++) {
    if (h > 1) cumulative += (fit.alpha + (h - 1) * fit.beta) ** 2;
    steps.push({ h, mean: Math.max(0, fit.level + h * fit.trend), sd: sigma * Math.sqrt(1 + cumulative), df });
  }
  return {
    status: "ok",
    method: "holt_linear",
    historyMonths: y.length,
    parameters: { alpha: fit.alpha, beta: fit.beta, level: fit.level, trend: fit.trend, sigma },
    steps,
  };
}

function drift(y: readonly number[], horizon: number): SeriesForecast {
  const n = y.length;
  const last = y[n - 1]!;
  const slope = (last - y[0]!) / (n - 1);
  let sse = 0;
  for (let t = 1; t < n; t++) sse += (y[t]! - y[t - 1]! - slope) ** 2;
  const df = n - 2;
  const sigma = floorSigma(Math.sqrt(sse / df), y);
  const steps: ForecastStep[] = [];
  for (let h = 1; h <= horizon; h++) {
    steps.push({ h, mean: Math.max(0, last + h * slope), sd: sigma * Math.sqrt(h * (1 + h / (n - 1))), df });
  }
  return { status: "ok", method: "drift", historyMonths: n, parameters: { drift: slope, sigma }, steps };
}

function floorSigma(sigma: number, y: readonly number[]): number {
  const meanAbs = y.reduce((sum, v) => sum + Math.abs(v), 0) / y.length;
  return Math.max(sigma, 0.01 * meanAbs);
}
