// The customer's credit notes (docs/billing.md, "Settlement"): the same permission as invoices.
import { OpenAPIHono } from "@hono/zod-openapi";
import type { AppEnv } from "../http/context.ts";
import { idParam, pageOf, pageSchema, paginationQuerySchema } from "../http/pagination.ts";
import { notFound, problemResponses } from "../http/problem.ts";
import { jsonResponse, secured } from "../http/routes.ts";
import { readAs } from "../http/transactions.ts";
import { creditNoteSchema, toCreditNote } from "./settlement-schemas.ts";
import { getCreditNote, listCreditNotes } from "./settlement.ts";

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

export const creditNoteRoutes = new OpenAPIHono<AppEnv>()
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
