// Display helpers for the billing and support pages: integer cents as dollars, dates, durations.
export const money = (cents: number, currency = "usd") =>
  new Intl.NumberFormat("en-US", { style: "currency", currency: currency.toUpperCase() }).format(cents / 100);

export const day = (iso: string | null | undefined) => (iso ? iso.slice(0, 10) : "—");

export const when = (iso: string | null | undefined) =>
  iso ? new Date(iso).toLocaleString("en-US", { dateStyle: "medium", timeStyle: "short" }) : "—";

/** "2 h 05 min left" / "breached 12 min ago" from seconds to a deadline. */
export function timeLeft(seconds: number): string {
  const abs = Math.abs(Math.round(seconds));
  const h = Math.floor(abs / 3600);
  const m = Math.floor((abs % 3600) / 60);
  const text = h > 0 ? `${h} h ${String(m).padStart(2, "0")} min` : `${m} min ${String(abs % 60).padStart(2, "0")} s`;
  return seconds >= 0 ? `${text} left` : `breached ${text} ago`;
}
