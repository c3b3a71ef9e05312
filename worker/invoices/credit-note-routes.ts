// The customer's credit notes (docs/billing.md, "Settlement"): the same permission as invoices.
import { OpenAPIHono, z } from "@hono/zod-openapi";
import { every } from "hono/combine";
import type { AppEnv } from "../http/context.ts";
import { idParam, pageOf, pageSchema, paginationQuerySchema } from "../http/pagination.ts";
import { notFound, ProblemError, problemResponses } from "../http/problem.ts";
import { creditNoteHtml, creditNotePdf } from "./credit-note-document.ts";
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

const documentHeaders = {
  "content-security-policy": "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'",
  "x-content-type-options": "nosniff",
  "cache-control": "private, no-store",
};

// A suffix after a path parameter is routed by pattern (as GET /v1/invoices/{id}.html is).
for (const [route, suffix] of [
  [documentRoute, ".html"],
  [pdfRoute, ".pdf"],
] as const) {
  const { middleware, ...operation } = route;
  creditNoteRoutes.openAPIRegistry.registerPath(operation);
  creditNoteRoutes.get(`/v1/credit-notes/:id{[^/]+\\${suffix}}`, every(...middleware), async (c) => {
    const parsed = idParam.safeParse({ id: (c.req.param("id") ?? "").slice(0, -suffix.length) });
    if (!parsed.success) {
      throw new ProblemError(
        400,
        "validation-error",
        "Validation failed",
        "param.id must be a credit note id (a UUID).",
        {
          errors: [{ field: "param.id", code: "invalid_format", message: "Invalid UUID" }],
        },
      );
    }
    const { id } = parsed.data;
    const { customerId } = c.var.principal;
    const document = await readAs(c, async (db) => {
      const creditNote = await getCreditNote(db, customerId, id);
      const invoice = creditNote && (await invoiceById(db, creditNote.invoiceId));
      const customer = invoice && (await billedCustomer(db, customerId));
      return creditNote && invoice && customer ? { creditNote, invoice, customer } : undefined;
    });
    if (!document) throw notFound("credit note", id);
    if (suffix === ".html")
      return c.body(creditNoteHtml(document), 200, { "content-type": "text/html; charset=utf-8", ...documentHeaders });
    const bytes = creditNotePdf(document, sellerDetails(c.env));
    return c.body(bytes.buffer as ArrayBuffer, 200, {
      "content-type": "application/pdf",
      "content-disposition": `attachment; filename="${document.creditNote.number.replace(/[^A-Za-z0-9._-]/g, "_")}.pdf"`,
      ...documentHeaders,
    });
  });
}

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
