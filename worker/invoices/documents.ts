// Invoice documents: a print-ready HTML page and a CSV export. Every stored string is escaped
// (HTML) or neutralised (CSV formula injection) here, at the one place it leaves as a document.
import type { InvoiceBillingDetails } from "../../db/schema.ts";
import { formatCents } from "../platform/money.ts";
import type { InvoiceRow, LineItemRow } from "./invoices.ts";
import type { SellerDetails } from "./seller.ts";

export { formatCents };

/** Unit prices in micros: 45000 -> "$0.045", 2000000000 -> "$2,000.00". */
export function formatMicros(micros: number): string {
  const whole = Math.floor(micros / 1_000_000);
  const fraction = String(micros % 1_000_000)
    .padStart(6, "0")
    .replace(/0+$/, "")
    .padEnd(2, "0");
  return `$${String(whole).replace(/\B(?=(\d{3})+(?!\d))/g, ",")}.${fraction}`;
}

/** "1000.000000" -> "1,000"; "0.500000" -> "0.5". */
export function formatQuantity(quantity: string): string {
  const [whole, fraction = ""] = quantity.split(".");
  const trimmed = fraction.replace(/0+$/, "");
  return `${whole!.replace(/\B(?=(\d{3})+(?!\d))/g, ",")}${trimmed ? `.${trimmed}` : ""}`;
}

const HTML_ESCAPES: Record<string, string> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };
export const escapeHtml = (value: string) => value.replace(/[&<>"']/g, (ch) => HTML_ESCAPES[ch]!);

export const day = (value: string | Date | null) => (value === null ? "—" : new Date(value).toISOString().slice(0, 10));
export const lastDay = (periodEnd: string) =>
  new Date(Date.parse(`${periodEnd}T00:00:00Z`) - 86_400_000).toISOString().slice(0, 10);

export interface InvoiceDocument {
  invoice: InvoiceRow;
  lineItems: LineItemRow[];
  /** The billed party: the invoice's snapshot at issue, else the customer's current details. */
  customer: InvoiceBillingDetails;
  seller: SellerDetails;
}

/** What is still owed (total less payments, credit notes and credit balance applied). */
export function amountDueCents(invoice: InvoiceRow): number {
  return invoice.amountDueCents;
}

/** Why no tax is charged ("Exempt — certificate X", "Reverse charge: …"), or null when taxed. */
export function taxReason(invoice: InvoiceRow): string | null {
  return invoice.taxStatus && invoice.taxStatus !== "taxable" ? invoice.taxNote : null;
}

/** The billed party as printed, one entry per line. */
export function billedToLines(party: InvoiceBillingDetails): string[] {
  const cityLine = [party.city, [party.region, party.postal_code].filter(Boolean).join(" ")].filter(Boolean).join(", ");
  return [
    party.name,
    party.address_line1,
    party.address_line2,
    cityLine,
    party.country,
    party.tax_id ? `Tax id: ${party.tax_id}` : undefined,
    party.email,
  ].filter((line): line is string => Boolean(line));
}

/** The seller as printed, one entry per line. */
export function sellerLines(seller: SellerDetails): string[] {
  return [seller.legalName, ...seller.address, `Tax id: ${seller.taxId}`];
}

/** Lines as the documents list them: base and usage lines (discount and tax are totals rows). */
export const itemLines = (lineItems: LineItemRow[]) => lineItems.filter((l) => l.kind === "base" || l.kind === "usage");

/** A self-contained, print-ready page (inline CSS, no scripts, no external resources). */
export function invoiceHtml({ invoice, lineItems, customer, seller }: InvoiceDocument): string {
  const e = escapeHtml;
  const lines = (values: string[]) => values.map(e).join("<br>");
  const rows = itemLines(lineItems)
    .map(
      (l) =>
        `<tr><td>${e(l.description)}</td><td class="n">${e(formatQuantity(l.quantity))}${l.unit ? ` ${e(l.unit)}` : ""}</td>` +
        `<td class="n">${l.unitAmountMicros === null ? "" : e(formatMicros(l.unitAmountMicros))}</td><td class="n">${e(formatCents(l.amountCents))}</td></tr>`,
    )
    .join("\n");
  const discount = lineItems.find((l) => l.kind === "discount");
  const tax = lineItems.find((l) => l.kind === "tax");
  const reason = taxReason(invoice);
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Invoice ${e(invoice.number)}</title>
<style>
body{font:14px/1.45 system-ui,sans-serif;color:#111;max-width:800px;margin:2rem auto;padding:0 1rem}
h1{font-size:1.6rem;margin:0}table{width:100%;border-collapse:collapse;margin-top:1.5rem}
th,td{padding:.4rem;border-bottom:1px solid #ddd;text-align:left}.n{text-align:right;white-space:nowrap}
tfoot td{border:none}.total td{font-weight:700;border-top:2px solid #111}
.meta{display:flex;justify-content:space-between;gap:1rem;margin-top:1rem}@media print{body{margin:0}}
</style></head>
<body>
<header><h1>Invoice ${e(invoice.number)}</h1><p>status: ${e(invoice.status)}</p></header>
<section class="meta">
<div class="seller"><strong>From</strong><br>${lines(sellerLines(seller))}</div>
<div class="billed-to"><strong>Billed to</strong><br>${lines(billedToLines(customer))}</div>
<div><strong>Issued</strong> ${e(day(invoice.issuedAt))}<br><strong>Due</strong> ${e(day(invoice.dueAt))}<br>
<strong>Period</strong> ${e(invoice.periodStart)} to ${e(lastDay(invoice.periodEnd))} (UTC)</div>
</section>
<table>
<thead><tr><th>Description</th><th class="n">Quantity</th><th class="n">Unit price</th><th class="n">Amount</th></tr></thead>
<tbody>
${rows}
</tbody>
<tfoot>
<tr><td colspan="3" class="n">Subtotal</td><td class="n">${e(formatCents(invoice.subtotalCents))}</td></tr>
<tr><td colspan="3" class="n">${e(discount?.description ?? "Discount")}</td><td class="n">${e(formatCents(-invoice.discountCents))}</td></tr>
<tr><td colspan="3" class="n">${e(tax?.description ?? "Tax")}</td><td class="n">${e(formatCents(invoice.taxCents))}</td></tr>
<tr class="total"><td colspan="3" class="n">Total (${e(invoice.currency.toUpperCase())})</td><td class="n">${e(formatCents(invoice.totalCents))}</td></tr>
<tr class="total"><td colspan="3" class="n">Amount due</td><td class="n">${e(formatCents(amountDueCents(invoice)))}</td></tr>
</tfoot>
</table>
${reason ? `<p class="tax-reason"><strong>No tax charged.</strong> ${e(reason)}</p>\n` : ""}<section class="payment"><strong>How to pay</strong><br>${lines(seller.paymentInstructions)}<br>
Please quote invoice ${e(invoice.number)} with your payment.</section>
</body></html>
`;
}

/**
 * One CSV cell. Text that a spreadsheet would run as a formula (leading = + - @, tab or CR) is
 * prefixed with an apostrophe (OWASP "CSV injection"); every cell is quoted, quotes doubled.
 */
export function csvCell(value: string | number | null, kind: "text" | "number" = "text"): string {
  if (value === null) return '""';
  let text = String(value);
  if (kind === "text" && /^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return `"${text.replace(/"/g, '""')}"`;
}

export const CSV_HEADER = [
  "invoice_number",
  "invoice_id",
  "status",
  "period_start",
  "period_end",
  "issued_at",
  "line_kind",
  "description",
  "metric",
  "usage_month",
  "quantity",
  "unit",
  "unit_amount_micros",
  "amount_cents",
  "invoice_total_cents",
  "currency",
];

/** One line per line item of every invoice, header first (RFC 4180, CRLF). */
export function invoicesCsv(invoices: { invoice: InvoiceRow; lineItems: LineItemRow[] }[]): string {
  const lines = [CSV_HEADER.map((h) => csvCell(h)).join(",")];
  for (const { invoice, lineItems } of invoices) {
    for (const l of lineItems) {
      lines.push(
        [
          csvCell(invoice.number),
          csvCell(invoice.id),
          csvCell(invoice.status),
          csvCell(invoice.periodStart),
          csvCell(invoice.periodEnd),
          csvCell(invoice.issuedAt ? new Date(invoice.issuedAt).toISOString() : null),
          csvCell(l.kind),
          csvCell(l.description),
          csvCell(l.metric),
          csvCell(l.usageMonth),
          csvCell(l.quantity, "number"),
          csvCell(l.unit),
          csvCell(l.unitAmountMicros, "number"),
          csvCell(l.amountCents, "number"),
          csvCell(invoice.totalCents, "number"),
          csvCell(invoice.currency),
        ].join(","),
      );
    }
  }
  return lines.join("\r\n") + "\r\n";
}
