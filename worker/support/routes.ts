// Customer support routes: open, list, read, edit/close/reopen tickets and talk on them. Thin:
// validation and response shapes here, the rules in ./tickets.ts and the clocks in ./sla.ts.
import { OpenAPIHono } from "@hono/zod-openapi";
import { actorOf } from "../auth/principal.ts";
import type { AppEnv } from "../http/context.ts";
import { idParam, pageOf, pageSchema } from "../http/pagination.ts";
import { notFound, problemResponses } from "../http/problem.ts";
import { jsonContent, secured } from "../http/routes.ts";
import { readAs, writeAs } from "../http/transactions.ts";
import {
  commentSchema,
  commentsQuerySchema,
  createCommentBodySchema,
  createTicketBodySchema,
  listTicketsQuerySchema,
  ticketSchema,
  toComment,
  toTicket,
  updateTicketBodySchema,
} from "./schemas.ts";
import { addCustomerComment, createTicket, getTicket, listComments, listTickets, updateTicket } from "./tickets.ts";

const tags: ["support"] = ["support"];

const createRoute = secured("support:write", {
  method: "post",
  path: "/v1/support/tickets",
  operationId: "createSupportTicket",
  tags,
  summary: "Open a support ticket",
  description:
    "Opens a ticket with SLA deadlines from your tier and its priority (first response and resolution; see " +
    "`sla` in the response). `related_resource` may name one of your invoices or managed accounts (422 if it " +
    "names none). Emits `ticket.created`. Safe to retry with `Idempotency-Key`.",
  request: { body: { content: jsonContent(createTicketBodySchema), required: true } },
  responses: {
    201: { description: "The new ticket with its SLA", content: jsonContent(ticketSchema) },
    ...problemResponses(401, 403, 409, 422, 429),
  },
});

const listRoute = secured("support:read", {
  method: "get",
  path: "/v1/support/tickets",
  operationId: "listSupportTickets",
  tags,
  summary: "List your support tickets, newest first",
  description:
    "Filter by `status`, `priority` and creation time (`created_after` inclusive, `created_before` exclusive). Each ticket shows its SLA clocks.",
  request: { query: listTicketsQuerySchema },
  responses: {
    200: { description: "A page of tickets", content: jsonContent(pageSchema(ticketSchema, "SupportTicketList")) },
    ...problemResponses(401, 403, 429),
  },
});

const getRoute = secured("support:read", {
  method: "get",
  path: "/v1/support/tickets/{id}",
  operationId: "getSupportTicket",
  tags,
  summary: "Retrieve a support ticket with its SLA",
  description:
    "The ticket, its status, and both SLA clocks: deadline, time remaining, and whether each was met or breached.",
  request: { params: idParam },
  responses: {
    200: { description: "The ticket", content: jsonContent(ticketSchema) },
    ...problemResponses(401, 403, 404, 429),
  },
});

const updateRoute = secured("support:write", {
  method: "patch",
  path: "/v1/support/tickets/{id}",
  operationId: "updateSupportTicket",
  tags,
  summary: "Edit, close or reopen a support ticket",
  description:
    "Edit `subject`/`description` while the ticket is `open` (409 after that: comment instead). `status: closed` " +
    "closes it; `status: open` reopens it within 7 days of its resolution (409 otherwise, naming what is allowed). " +
    "Emits `ticket.updated`.",
  request: { params: idParam, body: { content: jsonContent(updateTicketBodySchema), required: true } },
  responses: {
    200: { description: "The ticket after the change", content: jsonContent(ticketSchema) },
    ...problemResponses(401, 403, 404, 409, 422, 429),
  },
});

const createCommentRoute = secured("support:write", {
  method: "post",
  path: "/v1/support/tickets/{id}/comments",
  operationId: "createTicketComment",
  tags,
  summary: "Comment on a support ticket",
  description:
    "Adds your comment to the conversation. On a ticket `waiting_on_customer` it is the awaited reply: the ticket " +
    "returns to `in_progress` and its resolution clock resumes. A closed ticket takes no comments (409). Emits " +
    "`ticket.comment.created`.",
  request: { params: idParam, body: { content: jsonContent(createCommentBodySchema), required: true } },
  responses: {
    201: { description: "The comment", content: jsonContent(commentSchema) },
    ...problemResponses(401, 403, 404, 409, 422, 429),
  },
});

const listCommentsRoute = secured("support:read", {
  method: "get",
  path: "/v1/support/tickets/{id}/comments",
  operationId: "listTicketComments",
  tags,
  summary: "List a support ticket's conversation, oldest first",
  description: "Your comments and SecureBase staff replies, oldest first. Staff-internal notes are never included.",
  request: { params: idParam, query: commentsQuerySchema },
  responses: {
    200: { description: "A page of comments", content: jsonContent(pageSchema(commentSchema, "TicketCommentList")) },
    ...problemResponses(401, 403, 404, 429),
  },
});

export const supportRoutes = new OpenAPIHono<AppEnv>()
  .openapi(createRoute, async (c) => {
    const body = c.req.valid("json");
    const principal = c.var.principal;
    const ticket = await writeAs(c, (db, audit, emit) =>
      createTicket(db, audit, emit, principal.customerId, principal.userId, {
        subject: body.subject,
        description: body.description ?? body.subject,
        priority: body.priority,
        category: body.category ?? null,
        related: body.related_resource ?? null,
      }),
    );
    return c.json(toTicket(ticket, new Date()), 201, { Location: `/v1/support/tickets/${ticket.id}` });
  })
  .openapi(listRoute, async (c) => {
    const query = c.req.valid("query");
    const { customerId } = c.var.principal;
    const rows = await readAs(c, (db) => listTickets(db, customerId, query));
    const now = new Date();
    return c.json(
      pageOf(rows, query.limit, (t) => toTicket(t, now)),
      200,
    );
  })
  .openapi(getRoute, async (c) => {
    const { id } = c.req.valid("param");
    const { customerId } = c.var.principal;
    const ticket = await readAs(c, (db) => getTicket(db, customerId, id));
    if (!ticket) throw notFound("support ticket", id);
    return c.json(toTicket(ticket, new Date()), 200);
  })
  .openapi(updateRoute, async (c) => {
    const { id } = c.req.valid("param");
    const body = c.req.valid("json");
    const { customerId } = c.var.principal;
    const ticket = await writeAs(c, (db, audit, emit) =>
      updateTicket(db, audit, emit, customerId, id, body, new Date()),
    );
    return c.json(toTicket(ticket, new Date()), 200);
  })
  .openapi(createCommentRoute, async (c) => {
    const { id } = c.req.valid("param");
    const { body } = c.req.valid("json");
    const principal = c.var.principal;
    const { comment } = await writeAs(c, (db, audit, emit) =>
      addCustomerComment(db, audit, emit, principal.customerId, actorOf(principal), id, body),
    );
    return c.json(toComment(comment), 201, { Location: `/v1/support/tickets/${id}/comments` });
  })
  .openapi(listCommentsRoute, async (c) => {
    const { id } = c.req.valid("param");
    const query = c.req.valid("query");
    const { customerId } = c.var.principal;
    const rows = await readAs(c, async (db) => {
      if (!(await getTicket(db, customerId, id))) throw notFound("support ticket", id);
      return listComments(db, customerId, id, query, { includeInternal: false });
    });
    return c.json(pageOf(rows, query.limit, toComment), 200);
  });
