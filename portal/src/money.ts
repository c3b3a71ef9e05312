// Money is integer cents in the API; shown as dollars here only.
const usd = new Intl.NumberFormat("en-US", { style: "currency", currency: "USD" });
export const dollars = (cents: number | null | undefined) => (cents == null ? "—" : usd.format(cents / 100));
export const monthLabel = (month: string) =>
  new Date(`${month.slice(0, 7)}-01T00:00:00Z`).toLocaleDateString("en-US", {
    month: "short",
    year: "numeric",
    timeZone: "UTC",
  });
