// The customer's credit notes (docs/billing.md, "Settlement"): the same permission as invoices.
import { OpenAPIHono, z } from "@hono/zod-openapi";
import type { AppEnv } from "../http/context.ts";
import { idParam, pageOf, pageSchema, paginationQuerySchema } from "../http/pagination.ts";
import { notFound, problemResponses } from "../http/problem.ts";
import { creditNoteHtml, creditNotePdf } from "./credit-note-document.ts";
import { routeDocuments } from "./document-routes.ts";
import { sellerDetails } from "./seller.ts";
import { billedCustomer } from "./invoices.ts";
import { jsonResponse, secured } from "../http/routes.ts";
import { readAs } from "../http/transactions.ts";
import { creditNoteSchema, toCreditNote } from "./settlement-schemas.ts";
import { getCreditNote, invoiceById, listCreditNotes } from "./settlement.ts";

const listRoute = secured("invoices:read", {
  method: "get",
  path: "/v1/credit-notes",
  operationId: "listCreditNotes",
  tags: ["invoices"],
  summary: "List your credit notes, newest first",
  description: "Credit notes issued on your invoices, newest first, with the part kept as credit balance.",
  request: { query: paginationQuerySchema },
  responses: {
    200: jsonResponse(pageSchema(creditNoteSchema, "CreditNoteList"), "A page of credit notes"),
    ...problemResponses(400, 401, 403, 429),
  },
});

const getRoute = secured("invoices:read", {
  method: "get",
  path: "/v1/credit-notes/{id}",
  operationId: "getCreditNote",
  tags: ["invoices"],
  summary: "Retrieve one credit note",
  description: "One credit note: number, invoice, reason, amount (by line when credited line by line).",
  request: { params: idParam },
  responses: {
    200: jsonResponse(creditNoteSchema, "The credit note"),
    ...problemResponses(400, 401, 403, 404, 429),
  },
});

const documentRoute = secured("invoices:read", {
  method: "get",
  path: "/v1/credit-notes/{id}.html",
  operationId: "getCreditNoteDocument",
  tags: ["invoices"],
  summary: "A print-ready credit note document (HTML)",
  description:
    "Number, the credited invoice, reason, lines and amounts like `$100.00`; self-contained, served with a " +
    "restrictive Content-Security-Policy, every stored string HTML-escaped.",
  request: { params: idParam },
  responses: {
    200: { description: "The credit note as an HTML page", content: { "text/html": { schema: z.string() } } },
    ...problemResponses(400, 401, 403, 404, 429),
  },
});

export const creditNoteRoutes = new OpenAPIHono<AppEnv>();

const pdfRoute = secured("invoices:read", {
  method: "get",
  path: "/v1/credit-notes/{id}.pdf",
  operationId: "getCreditNotePdf",
  tags: ["invoices"],
  summary: "The credit note as a PDF",
  description:
    "The same content as the HTML document, with the seller, as a PDF in the standard Helvetica fonts, " +
    "downloaded as `<number>.pdf`.",
  request: { params: idParam },
  responses: {
    200: {
      description: "The credit note as a PDF",
      content: { "application/pdf": { schema: z.string().openapi({ format: "binary" }) } },
    },
    ...problemResponses(400, 401, 403, 404, 429),
  },
});

routeDocuments(
  creditNoteRoutes,
  "/v1/credit-notes",
  "a credit note",
  { html: documentRoute, pdf: pdfRoute },
  async (c, id) => {
    const customerId = c.var.principal.customerId;
    const document = await readAs(c, async (db) => {
      const creditNote = await getCreditNote(db, customerId, id);
      const invoice = creditNote && (await invoiceById(db, creditNote.invoiceId));
      const customer = invoice && (await billedCustomer(db, customerId));
      return creditNote && invoice && customer ? { creditNote, invoice, customer } : undefined;
    });
    if (!document) return undefined;
    return {
      number: document.creditNote.number,
      html: () => creditNoteHtml(document),
      pdf: () => creditNotePdf(document, sellerDetails(c.env)),
    };
  },
);

creditNoteRoutes
  .openapi(listRoute, async (c) => {
    const page = c.req.valid("query");
    const { customerId } = c.var.principal;
    const rows = await readAs(c, (db) => listCreditNotes(db, customerId, page));
    return c.json(pageOf(rows, page.limit, toCreditNote), 200);
  })
  .openapi(getRoute, async (c) => {
    const { id } = c.req.valid("param");
    const { customerId } = c.var.principal;
    const row = await readAs(c, (db) => getCreditNote(db, customerId, id));
    if (!row) throw notFound("credit note", id);
    return c.json(toCreditNote(row), 200);
  });
