// SecureBase staff support routes (super_admin): the queue across customers, one ticket, assign
// and move it, reply or add internal notes, and read the whole conversation including notes.
import { OpenAPIHono } from "@hono/zod-openapi";
import { eq } from "drizzle-orm";
import { customers } from "../../db/schema.ts";
import type { AppContext, AppEnv } from "../http/context.ts";
import { idParam, pageOf, pageSchema } from "../http/pagination.ts";
import { notFound, problemResponses } from "../http/problem.ts";
import { jsonContent, secured } from "../http/routes.ts";
import type { Database } from "../platform/database.ts";
import { readAs, writeAs, type Actor, type Audit } from "../http/transactions.ts";
import { actorOf } from "../auth/principal.ts";
import type { Emit } from "../events/outbox.ts";
import {
  commentsQuerySchema,
  staffCommentBodySchema,
  staffCommentSchema,
  staffQueueQuerySchema,
  staffTicketSchema,
  staffUpdateTicketBodySchema,
  toStaffComment,
  toStaffTicket,
} from "./schemas.ts";
import { addStaffComment, staffQueue, staffUpdateTicket, ticketCustomer } from "./staff.ts";
import { getTicket, listComments } from "./tickets.ts";
import type { TicketRow } from "./sla.ts";

const tags: ["support", "admin"] = ["support", "admin"];

const queueRoute = secured("super_admin", {
  method: "get",
  path: "/v1/admin/support/tickets",
  operationId: "listStaffSupportTickets",
  tags,
  summary: "The support queue across customers, nearest deadline first (SecureBase staff)",
  description:
    "Every customer's tickets, sorted by the next deadline on a running SLA clock (paused, resolved and closed " +
    "tickets last). Filter by `status`, `priority`, `breached` and `customer_id`.",
  request: { query: staffQueueQuerySchema },
  responses: {
    200: {
      description: "A page of tickets",
      content: jsonContent(pageSchema(staffTicketSchema, "StaffSupportTicketList")),
    },
    ...problemResponses(401, 403, 429),
  },
});

const getRoute = secured("super_admin", {
  method: "get",
  path: "/v1/admin/support/tickets/{id}",
  operationId: "getStaffSupportTicket",
  tags,
  summary: "Retrieve any customer's support ticket (SecureBase staff)",
  description: "The ticket with its customer, assignee and SLA clocks.",
  request: { params: idParam },
  responses: {
    200: { description: "The ticket", content: jsonContent(staffTicketSchema) },
    ...problemResponses(401, 403, 404, 429),
  },
});

const updateRoute = secured("super_admin", {
  method: "patch",
  path: "/v1/admin/support/tickets/{id}",
  operationId: "updateStaffSupportTicket",
  tags,
  summary: "Assign a support ticket or change its status (SecureBase staff)",
  description:
    "`assignee_id` must be an active staff user (422 otherwise; null unassigns). Status moves: open → in_progress | " +
    "waiting_on_customer | resolved | closed; in_progress → waiting_on_customer | resolved | closed; " +
    "waiting_on_customer → in_progress | resolved | closed; resolved → in_progress | closed; closed → nothing. " +
    "Anything else is a 409 naming the allowed moves. `waiting_on_customer` pauses the resolution clock. Audited in " +
    "the customer's trail; emits `ticket.updated`.",
  request: { params: idParam, body: { content: jsonContent(staffUpdateTicketBodySchema), required: true } },
  responses: {
    200: { description: "The ticket after the change", content: jsonContent(staffTicketSchema) },
    ...problemResponses(401, 403, 404, 409, 422, 429),
  },
});

const createCommentRoute = secured("super_admin", {
  method: "post",
  path: "/v1/admin/support/tickets/{id}/comments",
  operationId: "createStaffTicketComment",
  tags,
  summary: "Reply to a ticket or add an internal note (SecureBase staff)",
  description:
    "A reply (`internal: false`) is visible to the customer, emits `ticket.comment.created`, and the first one stops " +
    "the first-response clock. An internal note (`internal: true`) is readable by staff only: no customer " +
    "credential can read it through any endpoint, no event or notification carries it, and its audit event names " +
    "it by id only. A closed ticket takes no comments (409).",
  request: { params: idParam, body: { content: jsonContent(staffCommentBodySchema), required: true } },
  responses: {
    201: { description: "The comment", content: jsonContent(staffCommentSchema) },
    ...problemResponses(401, 403, 404, 409, 422, 429),
  },
});

const listCommentsRoute = secured("super_admin", {
  method: "get",
  path: "/v1/admin/support/tickets/{id}/comments",
  operationId: "listStaffTicketComments",
  tags,
  summary: "A ticket's whole conversation including internal notes (SecureBase staff)",
  description: "Customer comments, staff replies and internal notes (`internal: true`), oldest first.",
  request: { params: idParam, query: commentsQuerySchema },
  responses: {
    200: {
      description: "A page of comments",
      content: jsonContent(pageSchema(staffCommentSchema, "StaffTicketCommentList")),
    },
    ...problemResponses(401, 403, 404, 429),
  },
});

async function customerOf(db: Database, customerId: string) {
  const [row] = await db
    .select({ id: customers.id, name: customers.name, tier: customers.tier })
    .from(customers)
    .where(eq(customers.id, customerId));
  return row!;
}

async function staffView(db: Database, ticket: TicketRow) {
  return toStaffTicket(ticket, await customerOf(db, ticket.customerId), new Date());
}

/**
 * Runs a staff write on one ticket: find its customer (staff read), then write in a super-admin
 * context bound to that customer (tenant policies apply; the audit lands in its chain).
 */
async function writeOnTicket<T>(
  c: AppContext,
  id: string,
  work: (db: Database, audit: Audit, emit: Emit, customerId: string, actor: Actor) => Promise<T>,
): Promise<T> {
  const customerId = await readAs(c, (db) => ticketCustomer(db, id));
  if (!customerId) throw notFound("support ticket", id);
  const principal = c.var.principal;
  const actor = actorOf(principal);
  return writeAs(c, (db, audit, emit) => work(db, audit, emit, customerId, actor), {
    context: { customerId, superAdmin: true, userId: principal.userId, role: principal.role },
    actor,
  });
}

export const supportAdminRoutes = new OpenAPIHono<AppEnv>()
  .openapi(queueRoute, async (c) => {
    const query = c.req.valid("query");
    const rows = await readAs(c, (db) =>
      staffQueue(db, { ...query, breached: query.breached === undefined ? undefined : query.breached === "true" }),
    );
    const now = new Date();
    return c.json(
      pageOf(
        rows.map((r) => ({ ...r, id: r.ticket.id })),
        query.limit,
        (r) => toStaffTicket(r.ticket, r.customer, now),
      ),
      200,
    );
  })
  .openapi(getRoute, async (c) => {
    const { id } = c.req.valid("param");
    const view = await readAs(c, async (db) => {
      const customerId = await ticketCustomer(db, id);
      const ticket = customerId ? await getTicket(db, customerId, id) : undefined;
      return ticket && staffView(db, ticket);
    });
    if (!view) throw notFound("support ticket", id);
    return c.json(view, 200);
  })
  .openapi(updateRoute, async (c) => {
    const { id } = c.req.valid("param");
    const body = c.req.valid("json");
    const view = await writeOnTicket(c, id, async (db, audit, emit, customerId) => {
      const ticket = await staffUpdateTicket(db, audit, emit, customerId, id, {
        status: body.status,
        assigneeId: body.assignee_id,
      });
      return staffView(db, ticket);
    });
    return c.json(view, 200);
  })
  .openapi(createCommentRoute, async (c) => {
    const { id } = c.req.valid("param");
    const body = c.req.valid("json");
    const { comment } = await writeOnTicket(c, id, (db, audit, emit, customerId, actor) =>
      addStaffComment(db, audit, emit, customerId, actor.id, id, body.body, body.internal),
    );
    return c.json(toStaffComment(comment), 201, { Location: `/v1/admin/support/tickets/${id}/comments` });
  })
  .openapi(listCommentsRoute, async (c) => {
    const { id } = c.req.valid("param");
    const query = c.req.valid("query");
    const rows = await readAs(c, async (db) => {
      const customerId = await ticketCustomer(db, id);
      if (!customerId) throw notFound("support ticket", id);
      return listComments(db, customerId, id, query, { includeInternal: true });
    });
    return c.json(pageOf(rows, query.limit, toStaffComment), 200);
  });
