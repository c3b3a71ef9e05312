import { OpenAPIHono, z } from "@hono/zod-openapi";
import type { AppEnv } from "../http/context.ts";
import { secured } from "../http/routes.ts";
import { readAs } from "../http/transactions.ts";
import { idParam, pageSchema, paginationQuerySchema, pageOf } from "../http/pagination.ts";
import { notFound, problemResponses } from "../http/problem.ts";
import { invoiceStatuses } from "../../db/schema.ts";
import { documentHeaders, routeDocuments } from "./document-routes.ts";
import { invoiceHtml, invoicesCsv } from "./documents.ts";
import { invoicePdf } from "./pdf-invoice.ts";
import { sellerDetails } from "./seller.ts";
import { creditNoteSchema, paymentSchema, toCreditNote, toPayment } from "./settlement-schemas.ts";
import { settlementOf } from "./settlement.ts";
import {
  getInvoice,
  invoiceForDocument,
  invoicesWithLines,
  listInvoices,
  type InvoiceRow,
  type LineItemRow,
} from "./invoices.ts";

const cents = (description: string) =>
  z
    .number()
    .int()
    .openapi({ description: `${description}, in integer cents` });
const timestamp = z.string().datetime({ offset: true }).nullable();

const lineItemSchema = z
  .object({
    id: z.string().uuid(),
    object: z.literal("invoice_line_item"),
    kind: z.enum(["base", "usage", "discount", "tax"]),
    description: z.string().openapi({ example: "NAT data processing" }),
    quantity: z.string().openapi({ description: "Decimal string, exact", example: "1000.000000" }),
    unit: z.string().nullable().openapi({ example: "GB" }),
    unit_amount_micros: z
      .number()
      .int()
      .nullable()
      .openapi({ description: "Unit price in millionths of a dollar", example: 45000 }),
    amount_cents: cents("Line amount"),
  })
  .openapi("InvoiceLineItem");

export const invoiceSchema = z
  .object({
    id: z.string().uuid(),
    object: z.literal("invoice"),
    number: z.string().openapi({ example: "SB-2026-000123" }),
    status: z.enum(invoiceStatuses).openapi({
      description:
        "`open` → `paid` | `void` | `uncollectible` (docs/billing.md, Settlement); uncollectible can still be paid",
    }),
    currency: z.string().openapi({ example: "usd" }),
    period_start: z.string().openapi({ format: "date", example: "2026-10-01" }),
    period_end: z.string().openapi({ format: "date", example: "2026-11-01", description: "Exclusive" }),
    subtotal_cents: cents("Before discount and tax"),
    discount_cents: cents("Volume discount"),
    tax_cents: cents("Tax"),
    total_cents: cents("Invoice total"),
    amount_paid_cents: cents("Received in payments"),
    amount_credited_cents: cents("Reduced by credit notes"),
    balance_applied_cents: cents("Covered by the customer's credit balance when issued"),
    amount_due_cents: cents("Still due: total - paid - credited - balance applied (0 when void)"),
    issued_at: timestamp,
    due_at: timestamp,
    paid_at: timestamp,
    created_at: z.string().datetime({ offset: true }),
  })
  .openapi("Invoice");

const invoiceWithLinesSchema = invoiceSchema
  .extend({
    line_items: z.array(lineItemSchema),
    payments: z.array(paymentSchema),
    credit_notes: z.array(creditNoteSchema),
  })
  .openapi("InvoiceWithLineItems");

const iso = (value: string | Date | null) => (value === null ? null : new Date(value).toISOString());

export function toInvoice(row: InvoiceRow): z.infer<typeof invoiceSchema> {
  return {
    id: row.id,
    object: "invoice",
    number: row.number,
    status: row.status,
    currency: row.currency,
    period_start: row.periodStart,
    period_end: row.periodEnd,
    subtotal_cents: row.subtotalCents,
    discount_cents: row.discountCents,
    tax_cents: row.taxCents,
    total_cents: row.totalCents,
    amount_paid_cents: row.amountPaidCents,
    amount_credited_cents: row.amountCreditedCents,
    balance_applied_cents: row.balanceAppliedCents,
    amount_due_cents: row.amountDueCents,
    issued_at: iso(row.issuedAt),
    due_at: iso(row.dueAt),
    paid_at: iso(row.paidAt),
    created_at: iso(row.createdAt)!,
  };
}

function toLineItem(row: LineItemRow): z.infer<typeof lineItemSchema> {
  return {
    id: row.id,
    object: "invoice_line_item",
    kind: row.kind,
    description: row.description,
    quantity: row.quantity,
    unit: row.unit,
    unit_amount_micros: row.unitAmountMicros,
    amount_cents: row.amountCents,
  };
}

const listRoute = secured("invoices:read", {
  method: "get",
  path: "/v1/invoices",
  operationId: "listInvoices",
  tags: ["invoices"],
  summary: "List your invoices, newest first",
  description: "Your invoices, newest first, without line items.",
  request: { query: paginationQuerySchema },
  responses: {
    200: {
      description: "A page of invoices",
      content: { "application/json": { schema: pageSchema(invoiceSchema, "InvoiceList") } },
    },
    ...problemResponses(400, 401, 403),
  },
});

const getRoute = secured("invoices:read", {
  method: "get",
  path: "/v1/invoices/{id}",
  operationId: "getInvoice",
  tags: ["invoices"],
  summary: "Retrieve one invoice with its line items",
  description:
    "One invoice with its line items (base, usage, discount, tax), its payments and credit notes, amounts in integer cents.",
  request: { params: idParam },
  responses: {
    200: { description: "The invoice", content: { "application/json": { schema: invoiceWithLinesSchema } } },
    ...problemResponses(400, 401, 403, 404),
  },
});

const documentRoute = secured("invoices:read", {
  method: "get",
  path: "/v1/invoices/{id}.html",
  operationId: "getInvoiceDocument",
  tags: ["invoices"],
  summary: "A print-ready invoice document (HTML)",
  description:
    "Number, dates, the billed customer, lines, discount, tax and total, amounts like `$2,219.40`. Self-contained " +
    "(no scripts, no external resources) and served with a restrictive Content-Security-Policy; every stored string is " +
    "HTML-escaped. Print it or save it as PDF from the browser.",
  request: { params: idParam },
  responses: {
    200: { description: "The invoice as an HTML page", content: { "text/html": { schema: z.string() } } },
    ...problemResponses(400, 401, 403, 404, 429),
  },
});

const pdfRoute = secured("invoices:read", {
  method: "get",
  path: "/v1/invoices/{id}.pdf",
  operationId: "getInvoicePdf",
  tags: ["invoices"],
  summary: "The invoice as a PDF",
  description:
    "The same content as the HTML document (seller, billed party, lines, discount, tax or the reason none is charged, " +
    "total, amount due, how to pay), as a PDF in the standard Helvetica fonts, downloaded as `<number>.pdf`. Long " +
    "invoices continue on further pages with the table header repeated.",
  request: { params: idParam },
  responses: {
    200: {
      description: "The invoice as a PDF",
      content: { "application/pdf": { schema: z.string().openapi({ format: "binary" }) } },
    },
    ...problemResponses(400, 401, 403, 404, 429),
  },
});

const csvRoute = secured("invoices:read", {
  method: "get",
  path: "/v1/invoices.csv",
  operationId: "exportInvoices",
  tags: ["invoices"],
  summary: "Export your invoices as CSV, one line per line item",
  description:
    "Every invoice of the caller, newest first, one row per line item with the invoice's number, period and total " +
    "repeated. Cells a spreadsheet would evaluate as a formula (leading `=`, `+`, `-`, `@`) are prefixed with `'`.",
  responses: {
    200: { description: "RFC 4180 CSV", content: { "text/csv": { schema: z.string() } } },
    ...problemResponses(401, 403, 429),
  },
});

export const invoiceRoutes = new OpenAPIHono<AppEnv>();

routeDocuments(invoiceRoutes, "/v1/invoices", "an invoice", { html: documentRoute, pdf: pdfRoute }, async (c, id) => {
  const found = await readAs(c, (db) => invoiceForDocument(db, c.var.principal.customerId, id));
  if (!found) return undefined;
  const document = { ...found, seller: sellerDetails(c.env) };
  return { number: found.invoice.number, html: () => invoiceHtml(document), pdf: () => invoicePdf(document) };
});

invoiceRoutes
  .openapi(csvRoute, async (c) => {
    const { customerId } = c.var.principal;
    const rows = await readAs(c, (db) => invoicesWithLines(db, customerId));
    return c.body(invoicesCsv(rows), 200, {
      "content-type": "text/csv; charset=utf-8",
      "content-disposition": 'attachment; filename="invoices.csv"',
      ...documentHeaders,
    });
  })
  .openapi(listRoute, async (c) => {
    const page = c.req.valid("query");
    const { customerId } = c.var.principal;
    const rows = await readAs(c, (db) => listInvoices(db, customerId, page));
    return c.json(pageOf(rows, page.limit, toInvoice), 200);
  })
  .openapi(getRoute, async (c) => {
    const { id } = c.req.valid("param");
    const { customerId } = c.var.principal;
    const found = await readAs(c, async (db) => {
      const invoice = await getInvoice(db, customerId, id);
      return invoice && { ...invoice, ...(await settlementOf(db, [id])) };
    });
    if (!found) throw notFound("invoice", id);
    return c.json(
      {
        ...toInvoice(found.invoice),
        line_items: found.lineItems.map(toLineItem),
        payments: found.payments.map(toPayment),
        credit_notes: found.creditNotes.map(toCreditNote),
      },
      200,
    );
  });
