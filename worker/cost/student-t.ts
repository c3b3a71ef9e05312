// Student's t quantile, written here rather than imported: it is the one statistical function the
// Worker needs (the forecast intervals in ./forecast.ts), and the library that had it, jstat, is a
// 55 KiB UMD build esbuild cannot tree-shake, against a Worker bundle budget of 800 KiB (issue 14).
//
// Method. For t > 0 the upper tail of Student's t with ν degrees of freedom is
//   S(t) = ½·I_x(ν/2, ½),   x = ν / (ν + t²),
// I the regularized incomplete beta function, and S'(t) = −f(t), the density. On t > 0 the density
// decreases, so S is convex: Newton's method on S(t) = q started below the root climbs to it
// monotonically and never overshoots, however far below it starts. The start is the larger of two
// lower bounds of the root, one tight near the median and one tight in the far tail
// (`startBelow`), so a handful of steps suffice (at most 11 from ν = 0.05 to 10⁶, tails down to
// 1e-300). I_x is its continued fraction (modified Lentz, Numerical Recipes 3rd ed. §6.4) on
// whichever side of the beta distribution it converges, and the Newton residual is taken where it
// is accurate: on the tail probability for small tails, on the central probability ½ − S(t) near
// the median, so quantiles near p = ½ keep their relative precision.
// Accuracy, against 40-digit references: ≤ 2e-13 relative for 0.1 ≤ ν ≤ 10⁴ and tail probabilities
// down to 1e-300, ~1e-12 at ν = 10⁵ (test/cost/student-t.test.ts checks 1 ≤ ν ≤ 1000; jstat, the
// library it replaces, is up to 5.7e-8 off). A quantile beyond the double range (ν < 1 and a tiny
// tail) comes out as ±Infinity.

const MAX_NEWTON_STEPS = 50;
const MAX_FRACTION_TERMS = 10_000;

/** The p-quantile of Student's t distribution with `df` > 0 (not necessarily integer) degrees of freedom. */
export function studentTQuantile(p: number, df: number): number {
  if (!(p > 0 && p < 1)) throw new RangeError(`p must be in (0, 1), got ${p}`);
  if (!(df > 0 && df < Infinity)) throw new RangeError(`degrees of freedom must be positive and finite, got ${df}`);
  if (p === 0.5) return 0;
  // 1 − p is exact for p ≥ ½, so the tail probability loses nothing.
  const t = upperTailQuantile(p < 0.5 ? p : 1 - p, df);
  return p < 0.5 ? -t : t;
}

/** The t > 0 with S(t) = q, for 0 < q < ½. */
function upperTailQuantile(q: number, df: number): number {
  const lnB = lnBetaHalf(df / 2);
  let t = startBelow(q, df, lnB);
  for (let step = 0; step < MAX_NEWTON_STEPS && t < Infinity; step++) {
    const at = distributionAt(t, df, lnB);
    // (S(t) − q) / f(t), in the form that is accurate: through logarithms in the tail (where
    // f(t) underflows long before the quotient does), on the central probability near the median
    // (½ − q is exact for q ≥ ¼).
    const delta =
      q < 0.25
        ? Math.exp(at.lnTail - at.lnDensity) - Math.exp(Math.log(q) - at.lnDensity)
        : (0.5 - q - at.central) / Math.exp(at.lnDensity);
    t += delta;
    // Newton converges quadratically: after a step of 1e-11·t the error left is ~ν·1e-22·t, and
    // the residual's rounding (amplified by S/(t·f), up to 1/ν) stays below that step.
    if (!(Math.abs(delta) > 1e-11 * t)) break;
  }
  return t;
}

/**
 * A start at or below the root of S(t) = q. Near the median: ½ − S(t) ≤ f(0)·t because the density
 * is largest at 0. In the tail: I_x(a, ½) ≥ x^a / (a·B(a, ½)) because (1 − s)^(−½) ≥ 1 in its
 * integral, so the root's x is at most (2q·a·B)^(1/a), i.e. t at least √(ν·(x⁻¹ − 1)) for that x.
 */
function startBelow(q: number, df: number, lnB: number): number {
  const a = df / 2;
  const nearMedian = (0.5 - q) * Math.sqrt(df) * Math.exp(lnB);
  const lnXMax = (Math.log(2 * q * a) + lnB) / a;
  // √(ν·(e^y − 1)) with y = −ln x, through logarithms: y reaches hundreds in far tails.
  const y = -lnXMax;
  const lnExpm1Y = y > 1 ? y + Math.log1p(-Math.exp(-y)) : Math.log(Math.expm1(y));
  const inTail = y > 0 ? Math.exp(0.5 * (Math.log(df) + lnExpm1Y)) : 0;
  return Math.max(nearMedian, inTail);
}

/** ln S(t), the central probability ½ − S(t) and ln f(t), for t > 0. */
function distributionAt(t: number, df: number, lnB: number) {
  const a = df / 2;
  // With r = t²/ν: x = 1 / (1 + r) and 1 − x = r / (1 + r), in logarithms so that neither
  // cancels near 0 nor overflows for huge t.
  const lnR = 2 * Math.log(t) - Math.log(df);
  const lnOnePlusR = lnR > 0 ? lnR + Math.log1p(Math.exp(-lnR)) : Math.log1p(Math.exp(lnR));
  const lnX = -lnOnePlusR;
  const lnOneMinusX = lnR - lnOnePlusR;
  const lnFront = a * lnX + 0.5 * lnOneMinusX - lnB; // ln(x^a·(1 − x)^½ / B(a, ½))
  const lnDensity = (a + 0.5) * lnX - 0.5 * Math.log(df) - lnB;
  if (lnX < Math.log((a + 1) / (a + 2.5))) {
    const lnTail = lnFront + Math.log(continuedFraction(Math.exp(lnX), a, 0.5) / (2 * a));
    return { lnTail, central: 0.5 - Math.exp(lnTail), lnDensity };
  }
  const central = Math.exp(lnFront) * continuedFraction(Math.exp(lnOneMinusX), 0.5, a); // ½·I_{1−x}(½, a)
  return { lnTail: Math.log(0.5 - central), central, lnDensity };
}

/** The continued fraction of I_x(a, b) (NR `betacf`), which converges fast for x < (a + 1) / (a + b + 2). */
function continuedFraction(x: number, a: number, b: number): number {
  const tiny = 1e-300;
  let c = 1;
  let d = 1 - ((a + b) * x) / (a + 1);
  d = 1 / (Math.abs(d) < tiny ? tiny : d);
  let h = d;
  for (let m = 1; m <= MAX_FRACTION_TERMS; m++) {
    const m2 = 2 * m;
    // An even and an odd term per round.
    for (const coefficient of [
      (m * (b - m) * x) / ((a + m2 - 1) * (a + m2)),
      (-(a + m) * (a + b + m) * x) / ((a + m2) * (a + m2 + 1)),
    ]) {
      d = 1 + coefficient * d;
      d = 1 / (Math.abs(d) < tiny ? tiny : d);
      c = 1 + coefficient / c;
      if (Math.abs(c) < tiny) c = tiny;
      h *= d * c;
    }
    if (Math.abs(d * c - 1) <= Number.EPSILON) return h;
  }
  return h;
}

/** ln B(a, ½) = ln Γ(a) + ln Γ(½) − ln Γ(a + ½). */
function lnBetaHalf(a: number): number {
  const lnGammaHalf = 0.5 * Math.log(Math.PI);
  if (a < 50) return lnGamma(a) + lnGammaHalf - lnGamma(a + 0.5);
  // For large a the two ln Γ are large and nearly equal (~2,600 at ν = 1000): take their
  // difference from Stirling's series instead, where nothing large cancels.
  const stirling = (z: number) => (1 / 12 - (1 / 360 - 1 / (1260 * z * z)) / (z * z)) / z;
  return lnGammaHalf + 0.5 - 0.5 * Math.log(a) - a * Math.log1p(0.5 / a) + stirling(a) - stirling(a + 0.5);
}

// Lanczos approximation, g = 7, 9 terms: ~1e-15 relative on Γ for z > 0.
const LANCZOS = [
  0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
  12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
];

function lnGamma(z: number): number {
  if (z < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * z)) - lnGamma(1 - z); // reflection
  const zm1 = z - 1;
  let sum = LANCZOS[0]!;
  for (let i = 1; i < LANCZOS.length; i++) sum += LANCZOS[i]! / (zm1 + i);
  const base = zm1 + 7.5;
  return 0.5 * Math.log(2 * Math.PI) + (zm1 + 0.5) * Math.log(base) - base + Math.log(sum);
}
