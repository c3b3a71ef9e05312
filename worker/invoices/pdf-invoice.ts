// The invoice as a PDF document model (worker/invoices/pdf.ts renders it): the same content as
// the HTML document (documents.ts), laid out for print. Credit notes build their own model and
// reuse renderPdf.
import { formatCents } from "../platform/money.ts";
import {
  amountDueCents,
  billedToLines,
  day,
  formatMicros,
  formatQuantity,
  type InvoiceDocument,
  itemLines,
  lastDay,
  sellerLines,
  taxReason,
} from "./documents.ts";
import { type PdfBlock, type PdfDocumentModel, renderPdf } from "./pdf.ts";

export function invoicePdfModel({ invoice, lineItems, customer, seller }: InvoiceDocument): PdfDocumentModel {
  const discount = lineItems.find((l) => l.kind === "discount");
  const tax = lineItems.find((l) => l.kind === "tax");
  const reason = taxReason(invoice);
  const blocks: PdfBlock[] = [
    { kind: "text", lines: [`Invoice ${invoice.number}`], font: "bold", size: 18 },
    { kind: "text", lines: [`Status: ${invoice.status}`] },
    { kind: "space", height: 10 },
    {
      kind: "columns",
      columns: [
        { title: "From", lines: sellerLines(seller) },
        { title: "Billed to", lines: billedToLines(customer) },
        {
          title: "Invoice",
          lines: [
            `Issued: ${day(invoice.issuedAt)}`,
            `Due: ${day(invoice.dueAt)}`,
            `Period: ${invoice.periodStart} to ${lastDay(invoice.periodEnd)} (UTC)`,
          ],
        },
      ],
    },
    { kind: "space", height: 14 },
    {
      kind: "table",
      columns: [
        { header: "Description", width: 52 },
        { header: "Quantity", width: 18, align: "right" },
        { header: "Unit price", width: 14, align: "right" },
        { header: "Amount", width: 16, align: "right" },
      ],
      rows: itemLines(lineItems).map((l) => [
        l.description,
        `${formatQuantity(l.quantity)}${l.unit ? ` ${l.unit}` : ""}`,
        l.unitAmountMicros === null ? "" : formatMicros(l.unitAmountMicros),
        formatCents(l.amountCents),
      ]),
      footer: [
        ["Subtotal", "", "", formatCents(invoice.subtotalCents)],
        [discount?.description ?? "Discount", "", "", formatCents(-invoice.discountCents)],
        [tax?.description ?? "Tax", "", "", formatCents(invoice.taxCents)],
        [`Total (${invoice.currency.toUpperCase()})`, "", "", formatCents(invoice.totalCents)],
        ["Amount due", "", "", formatCents(amountDueCents(invoice))],
      ],
    },
    { kind: "space", height: 14 },
  ];
  if (reason) blocks.push({ kind: "text", lines: [`No tax charged. ${reason}`] }, { kind: "space", height: 8 });
  blocks.push(
    { kind: "text", lines: ["How to pay"], font: "bold" },
    {
      kind: "text",
      lines: [...seller.paymentInstructions, `Please quote invoice ${invoice.number} with your payment.`],
    },
  );
  return { title: `Invoice ${invoice.number}`, footer: `${seller.legalName} · Invoice ${invoice.number}`, blocks };
}

export const invoicePdf = (document: InvoiceDocument): Uint8Array => renderPdf(invoicePdfModel(document));
