// The forecast library on series whose answers are known by hand.
import { describe, expect, it } from "vitest";
import { backtest, coverage, mape, syntheticSeries } from "../../worker/cost/backtest.ts";
import { forecastSeries, intervalAt, tQuantile, type SeriesForecast } from "../../worker/cost/time-series.ts";

function ok(f: SeriesForecast) {
  if (f.status !== "ok") throw new Error(`expected a forecast, got ${f.status}`);
  return f;
}

describe("forecastSeries", () => {
  it("refuses to forecast fewer than 3 months and says so", () => {
    expect(forecastSeries([], 3)).toEqual({ status: "insufficient_history", historyMonths: 0 });
    expect(forecastSeries([120_000, 130_000], 3)).toEqual({ status: "insufficient_history", historyMonths: 2 });
  });

  it("uses the drift method on 3–5 months: last value plus the average change, interval widening with h", () => {
    const f = ok(forecastSeries([100, 120, 130], 2));
    expect(f.method).toBe("drift");
    expect(f.steps.map((s) => s.mean)).toEqual([145, 160]);
    // differences 20 and 10 around a drift of 15: σ² = 50 / (3 − 2); σ²(h) = σ²·h·(1 + h/2)
    expect(f.steps[0]!.sd).toBeCloseTo(Math.sqrt(50 * 1 * 1.5), 10);
    expect(f.steps[1]!.sd).toBeCloseTo(Math.sqrt(50 * 2 * 2), 10);
    expect(f.steps[0]!.df).toBe(1);
  });

  it("uses Holt's linear trend from 6 months and continues an exact line exactly", () => {
    const f = ok(forecastSeries([100, 110, 120, 130, 140, 150, 160], 3));
    expect(f.method).toBe("holt_linear");
    expect(f.steps.map((s) => s.mean)).toEqual([170, 180, 190]);
    // a perfect fit is not a certainty: σ is floored at 1 % of the mean absolute value
    expect(f.steps[0]!.sd).toBeCloseTo(1.3, 10);
    expect(f.steps[0]!.df).toBe(3);
  });

  it("widens Holt's interval by the closed form σ²(h) = σ²(1 + Σ (α + jβ)²)", () => {
    const f = ok(forecastSeries([100, 112, 119, 133, 138, 152, 161, 170, 176, 191], 4));
    const { alpha, beta } = f.parameters as { alpha: number; beta: number };
    const base = f.steps[0]!.sd ** 2;
    let sum = 0;
    for (const step of f.steps) {
      expect(step.sd ** 2 / base).toBeCloseTo(1 + sum, 10);
      sum += (alpha + step.h * beta) ** 2;
    }
    expect(f.steps[3]!.sd).toBeGreaterThan(f.steps[0]!.sd);
    expect(f.steps[0]!.mean).toBeGreaterThan(191);
  });

  it("never forecasts a negative cost", () => {
    const f = ok(forecastSeries([500, 400, 300, 200, 100, 50], 6));
    for (const step of f.steps) {
      expect(step.mean).toBeGreaterThanOrEqual(0);
      const { lower, upper } = intervalAt(step, 0.95);
      expect(lower).toBeGreaterThanOrEqual(0);
      expect(upper).toBeGreaterThanOrEqual(step.mean);
    }
  });
});

describe("intervalAt", () => {
  it("is mean ± t(df, (1+L)/2)·sd", () => {
    expect(tQuantile(0.9, 1)).toBeCloseTo(3.0777, 4);
    expect(tQuantile(0.975, 2)).toBeCloseTo(4.3027, 4);
    const step = { h: 1, mean: 1000, sd: 10, df: 2 };
    const i = intervalAt(step, 0.95);
    expect(i.lower).toBeCloseTo(1000 - 43.027, 3);
    expect(i.upper).toBeCloseTo(1000 + 43.027, 3);
    expect(intervalAt(step, 0.8).upper).toBeLessThan(i.upper);
  });
});

describe("backtest", () => {
  it("keeps empirical coverage within 5 points of 80 % and 95 % on synthetic histories", () => {
    const result = backtest(syntheticSeries(100, 24, 7), { levels: [0.8, 0.95], horizons: 3 });
    const all = result.cells.get("all|all|all")!;
    expect(all.forecasts).toBeGreaterThan(5000);
    expect(Math.abs(coverage(all, 0.8) - 0.8)).toBeLessThanOrEqual(0.05);
    expect(Math.abs(coverage(all, 0.95) - 0.95)).toBeLessThanOrEqual(0.05);
    expect(mape(all)).toBeLessThan(0.15);
  });
});
