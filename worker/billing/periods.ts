// Billing periods are calendar months in UTC, named by their first day ("2026-10-01") and
// written "2026-10" in queries. The end is exclusive (the next month's first day).

/** "2026-10-01" for any instant in October 2026 (UTC). */
export function monthOf(instant: Date): string {
  return new Date(Date.UTC(instant.getUTCFullYear(), instant.getUTCMonth(), 1)).toISOString().slice(0, 10);
}

/** The first day of the month `offset` months after `month` ("2026-10-01", 1 -> "2026-11-01"). */
export function addMonths(month: string, offset: number): string {
  const [year, mon] = month.split("-").map(Number);
  return new Date(Date.UTC(year!, mon! - 1 + offset, 1)).toISOString().slice(0, 10);
}

/** The month that ended last (what the monthly run bills when it fires on the 1st). */
export const previousMonth = (now: Date) => addMonths(monthOf(now), -1);

/** "2026-10" -> "2026-10-01". */
export const monthParam = (yyyyMm: string) => `${yyyyMm}-01`;

/** "October 2026". */
export function monthName(month: string): string {
  return new Date(`${month}T00:00:00Z`).toLocaleString("en-US", { month: "long", year: "numeric", timeZone: "UTC" });
}

/** Late usage older than this many months before the current month is refused at ingest (see 0012). */
export const LOOKBACK_MONTHS = 3;
