// A credit note as a print-ready HTML page and as a PDF, in the invoice document's style
// (./documents.ts owns the money formatting and escaping, ./pdf.ts the PDF writer; this file only
// lays out a credit note).
import { escapeHtml, formatCents, sellerLines } from "./documents.ts";
import { type PdfDocumentModel, renderPdf } from "./pdf.ts";
import type { SellerDetails } from "./seller.ts";
import type { InvoiceRow } from "./invoices.ts";
import type { CreditNoteRow } from "./settlement.ts";

export interface CreditNoteDocument {
  creditNote: CreditNoteRow;
  invoice: InvoiceRow;
  customer: { name: string; email: string };
}

/** The credited lines: the note's own, or one line with its reason for an amount-only note. */
const creditedLines = (creditNote: CreditNoteRow) =>
  creditNote.lines.length > 0
    ? creditNote.lines.map((l) => ({ description: l.description, amountCents: l.amount_cents }))
    : [{ description: creditNote.reason, amountCents: creditNote.amountCents }];

export function creditNoteHtml({ creditNote, invoice, customer }: CreditNoteDocument): string {
  const e = escapeHtml;
  const lines = creditedLines(creditNote);
  const rows = lines
    .map((l) => `<tr><td>${e(l.description)}</td><td class="n">${e(formatCents(-l.amountCents))}</td></tr>`)
    .join("\n");
  const issued = new Date(creditNote.createdAt).toISOString().slice(0, 10);
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Credit note ${e(creditNote.number)}</title>
<style>
body{font:14px/1.45 system-ui,sans-serif;color:#111;max-width:800px;margin:2rem auto;padding:0 1rem}
h1{font-size:1.6rem;margin:0}table{width:100%;border-collapse:collapse;margin-top:1.5rem}
th,td{padding:.4rem;border-bottom:1px solid #ddd;text-align:left}.n{text-align:right;white-space:nowrap}
tfoot td{border:none}.total td{font-weight:700;border-top:2px solid #111}
.meta{display:flex;justify-content:space-between;margin-top:1rem}@media print{body{margin:0}}
</style></head>
<body>
<header><h1>Credit note ${e(creditNote.number)}</h1><p>SecureBase · credits invoice ${e(invoice.number)}</p></header>
<section class="meta">
<div><strong>Credited to</strong><br>${e(customer.name)}<br>${e(customer.email)}</div>
<div><strong>Issued</strong> ${e(issued)}<br><strong>Reason</strong> ${e(creditNote.reason)}</div>
</section>
<table>
<thead><tr><th>Description</th><th class="n">Amount</th></tr></thead>
<tbody>
${rows}
</tbody>
<tfoot>
<tr class="total"><td class="n">Total credited (${e(invoice.currency.toUpperCase())})</td><td class="n">${e(formatCents(-creditNote.amountCents))}</td></tr>
<tr><td class="n">Applied to invoice ${e(invoice.number)}</td><td class="n">${e(formatCents(creditNote.appliedCents))}</td></tr>
<tr><td class="n">Kept as credit for your next invoice</td><td class="n">${e(formatCents(creditNote.toBalanceCents))}</td></tr>
</tfoot>
</table>
</body></html>
`;
}

/** The same content as the HTML page, with the seller, as a PDF (renderPdf). */
export function creditNotePdf(
  { creditNote, invoice, customer }: CreditNoteDocument,
  seller: SellerDetails,
): Uint8Array {
  const issued = new Date(creditNote.createdAt).toISOString().slice(0, 10);
  const model: PdfDocumentModel = {
    title: `Credit note ${creditNote.number}`,
    footer: `${seller.legalName} · Credit note ${creditNote.number}`,
    blocks: [
      { kind: "text", lines: [`Credit note ${creditNote.number}`], font: "bold", size: 18 },
      { kind: "text", lines: [`Credits invoice ${invoice.number}`] },
      { kind: "space", height: 10 },
      {
        kind: "columns",
        columns: [
          { title: "From", lines: sellerLines(seller) },
          { title: "Credited to", lines: [customer.name, customer.email] },
          { title: "Credit note", lines: [`Issued: ${issued}`, `Reason: ${creditNote.reason}`] },
        ],
      },
      { kind: "space", height: 14 },
      {
        kind: "table",
        columns: [
          { header: "Description", width: 75 },
          { header: "Amount", width: 25, align: "right" },
        ],
        rows: creditedLines(creditNote).map((l) => [l.description, formatCents(-l.amountCents)]),
        footer: [
          [`Total credited (${invoice.currency.toUpperCase()})`, formatCents(-creditNote.amountCents)],
          [`Applied to invoice ${invoice.number}`, formatCents(creditNote.appliedCents)],
          ["Kept as credit for your next invoice", formatCents(creditNote.toBalanceCents)],
        ],
      },
    ],
  };
  return renderPdf(model);
}
