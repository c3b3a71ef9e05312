// Money as people read it, written one way everywhere (invoice HTML and PDF, CSV-adjacent text,
// emails, audit summaries): "$2,219.40", "-$75.00". Amounts are integer cents (docs/billing.md).

/** 221940 -> "$2,219.40"; -7500 -> "-$75.00". */
export function formatCents(cents: number): string {
  const abs = Math.abs(cents);
  const dollars = String(Math.floor(abs / 100)).replace(/\B(?=(\d{3})+(?!\d))/g, ",");
  return `${cents < 0 ? "-" : ""}$${dollars}.${String(abs % 100).padStart(2, "0")}`;
}
