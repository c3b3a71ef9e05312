// Support tickets as customers see them (docs/support.md): open, list, read, edit, close, reopen, and
// public comments. Every function runs in the caller's tenant transaction; the explicit
// customer filter matters here beyond the index: a staff context may read every customer's
// tickets (migration 0050), and these customer routes must still show only the caller's own.
// Customer reads never include internal notes: `internal = false` below, and for every customer
// credential the restrictive policy of migration 0009 hides them whatever the query says.
import { and, desc, eq, gte, lt, sql } from "drizzle-orm";
import {
  customers,
  invoices,
  managedAccounts,
  slaPolicies,
  supportTickets,
  ticketComments,
  type RelatedResourceType,
  type TicketCategory,
  type TicketPriority,
  type TicketStatus,
} from "../../db/schema.ts";
import { afterCursor, type PaginationQuery } from "../http/pagination.ts";
import { invalidField, notFound, ProblemError } from "../http/problem.ts";
import type { Database } from "../platform/database.ts";
import type { Actor, Audit } from "../http/transactions.ts";
import type { Emit } from "../events/outbox.ts";
import { createdPayload, excerpt, updatedPayload } from "./events.ts";
import { customerTransitions, transitionSet, type TicketRow } from "./sla.ts";

export type CommentRow = typeof ticketComments.$inferSelect;

export interface NewTicket {
  subject: string;
  description: string;
  priority: TicketPriority;
  category: TicketCategory | null;
  related: { type: RelatedResourceType; id: string } | null;
}

async function relatedExists(
  db: Database,
  customerId: string,
  related: { type: RelatedResourceType; id: string },
): Promise<boolean> {
  const table = related.type === "invoice" ? invoices : managedAccounts;
  const rows = await db
    .select({ id: table.id })
    .from(table)
    .where(and(eq(table.customerId, customerId), eq(table.id, related.id)));
  return rows.length > 0;
}

/** Opens a ticket with its SLA deadlines from sla_policies (the customer's tier × priority). */
export async function createTicket(
  db: Database,
  audit: Audit,
  emit: Emit,
  customerId: string,
  createdBy: string | null,
  input: NewTicket,
): Promise<TicketRow> {
  if (input.related && !(await relatedExists(db, customerId, input.related))) {
    throw invalidField("related_resource.id", "not_found", `names no ${input.related.type} of yours`);
  }
  const [policy] = await db
    .select({
      tier: customers.tier,
      firstResponseHours: slaPolicies.firstResponseHours,
      resolutionHours: slaPolicies.resolutionHours,
    })
    .from(customers)
    .innerJoin(slaPolicies, and(eq(slaPolicies.tier, customers.tier), eq(slaPolicies.priority, input.priority)))
    .where(eq(customers.id, customerId));
  if (!policy) throw new Error(`no SLA policy for customer ${customerId} and priority ${input.priority}`);
  const [ticket] = await db
    .insert(supportTickets)
    .values({
      customerId,
      subject: input.subject,
      description: input.description,
      priority: input.priority,
      category: input.category,
      relatedResourceType: input.related?.type ?? null,
      relatedResourceId: input.related?.id ?? null,
      createdBy,
      slaTier: policy.tier,
      firstResponseDueAt: sql`now() + make_interval(hours => ${policy.firstResponseHours}::integer)`,
      resolutionDueAt: sql`now() + make_interval(hours => ${policy.resolutionHours}::integer)`,
    })
    .returning();
  const t = ticket!;
  await audit({
    action: "ticket.created",
    resourceType: "support_ticket",
    resourceId: t.id,
    summary: `Support ticket opened (${t.priority}): ${t.subject}`,
    data: {
      priority: t.priority,
      category: t.category,
      sla_tier: t.slaTier,
      first_response_due_at: t.firstResponseDueAt,
      resolution_due_at: t.resolutionDueAt,
    },
  });
  await emit("ticket.created", createdPayload(t));
  return t;
}

export interface TicketFilters extends PaginationQuery {
  status?: TicketStatus;
  priority?: TicketPriority;
  created_after?: string;
  created_before?: string;
}

/** One page (limit + 1 rows, newest first) of the customer's tickets. */
export function listTickets(db: Database, customerId: string, f: TicketFilters): Promise<TicketRow[]> {
  const t = supportTickets;
  return db
    .select()
    .from(t)
    .where(
      and(
        eq(t.customerId, customerId),
        f.status ? eq(t.status, f.status) : undefined,
        f.priority ? eq(t.priority, f.priority) : undefined,
        f.created_after ? gte(t.createdAt, new Date(f.created_after)) : undefined,
        f.created_before ? lt(t.createdAt, new Date(f.created_before)) : undefined,
        afterCursor(t.id, f),
      ),
    )
    .orderBy(desc(t.id))
    .limit(f.limit + 1);
}

export async function getTicket(
  db: Database,
  customerId: string,
  id: string,
  lock = false,
): Promise<TicketRow | undefined> {
  const query = db
    .select()
    .from(supportTickets)
    .where(and(eq(supportTickets.customerId, customerId), eq(supportTickets.id, id)));
  const [row] = lock ? await query.for("update") : await query;
  return row;
}

export const illegalTransition = (t: TicketRow, to: TicketStatus, allowed: readonly TicketStatus[]) =>
  new ProblemError(
    409,
    "illegal-ticket-transition",
    "Illegal status change",
    `Ticket ${t.id} is ${t.status}; it cannot move to ${to}. ` +
      (allowed.length ? `Allowed from ${t.status}: ${allowed.join(", ")}.` : `No change is allowed from ${t.status}.`),
  );

/** Moves a locked ticket to `to` (clock arithmetic in transitionSet); returns the new row. */
export async function moveTicket(db: Database, t: TicketRow, to: TicketStatus): Promise<TicketRow> {
  const [row] = await db
    .update(supportTickets)
    .set(transitionSet(t, to))
    .where(and(eq(supportTickets.customerId, t.customerId), eq(supportTickets.id, t.id)))
    .returning();
  return row!;
}

export interface CustomerPatch {
  subject?: string;
  description?: string;
  status?: "open" | "closed";
}

/** Edits (while `open`), closes or reopens (within 7 days of resolution) the customer's ticket. */
export async function updateTicket(
  db: Database,
  audit: Audit,
  emit: Emit,
  customerId: string,
  id: string,
  patch: CustomerPatch,
  now: Date,
): Promise<TicketRow> {
  const before = await getTicket(db, customerId, id, true);
  if (!before) throw notFound("support ticket", id);
  const changed: string[] = [];
  let row = before;
  const edits: Partial<Pick<TicketRow, "subject" | "description">> = {};
  if (patch.subject !== undefined && patch.subject !== before.subject) edits.subject = patch.subject;
  if (patch.description !== undefined && patch.description !== before.description)
    edits.description = patch.description;
  if (Object.keys(edits).length > 0) {
    if (before.status !== "open") {
      throw new ProblemError(
        409,
        "ticket-not-editable",
        "Ticket not editable",
        `Ticket ${id} is ${before.status}: subject and description can be edited only while it is open. Add a comment instead.`,
      );
    }
    [row] = (await db
      .update(supportTickets)
      .set({ ...edits, updatedAt: sql`now()` })
      .where(and(eq(supportTickets.customerId, customerId), eq(supportTickets.id, id)))
      .returning()) as [TicketRow];
    changed.push(...Object.keys(edits));
  }
  if (patch.status !== undefined && patch.status !== before.status) {
    const allowed = customerTransitions(before, now);
    if (!allowed.includes(patch.status)) throw illegalTransition(before, patch.status, allowed);
    row = await moveTicket(db, row, patch.status);
    changed.push("status");
  }
  if (changed.length === 0) return row;
  const action = changed.includes("status")
    ? row.status === "closed"
      ? "ticket.closed"
      : "ticket.reopened"
    : "ticket.updated";
  await audit({
    action,
    resourceType: "support_ticket",
    resourceId: id,
    summary: `Support ticket ${action === "ticket.updated" ? "edited" : action.slice("ticket.".length)} by the customer: ${row.subject}`,
    data: { changed, previous_status: before.status, status: row.status },
  });
  await emit("ticket.updated", updatedPayload(row, before, changed));
  return row;
}

/** Inserts a comment on a locked ticket and emits it when public (notes emit nothing). */
export async function insertComment(
  db: Database,
  emit: Emit,
  t: TicketRow,
  author: { type: "customer" | "staff"; id: string },
  body: string,
  internal: boolean,
): Promise<CommentRow> {
  const [comment] = await db
    .insert(ticketComments)
    .values({ customerId: t.customerId, ticketId: t.id, authorType: author.type, authorId: author.id, body, internal })
    .returning();
  if (!internal) {
    await emit("ticket.comment.created", {
      ticket_id: t.id,
      comment_id: comment!.id,
      author_type: author.type,
      excerpt: excerpt(body),
    });
  }
  return comment!;
}

export const closedTicket = (t: TicketRow) =>
  new ProblemError(
    409,
    "ticket-closed",
    "Ticket closed",
    `Ticket ${t.id} is closed; open a new ticket (or reopen it within 7 days of resolution).`,
  );

/**
 * A customer's comment. On a ticket waiting on the customer it is the awaited reply: the ticket
 * goes back to in_progress and the resolution clock resumes.
 */
export async function addCustomerComment(
  db: Database,
  audit: Audit,
  emit: Emit,
  customerId: string,
  actor: Actor,
  ticketId: string,
  body: string,
): Promise<{ comment: CommentRow; ticket: TicketRow }> {
  let t = await getTicket(db, customerId, ticketId, true);
  if (!t) throw notFound("support ticket", ticketId);
  if (t.status === "closed") throw closedTicket(t);
  const comment = await insertComment(db, emit, t, { type: "customer", id: actor.id }, body, false);
  const resumed = t.status === "waiting_on_customer";
  if (resumed) {
    const previous = t.status;
    t = await moveTicket(db, t, "in_progress");
    await emit("ticket.updated", {
      id: t.id,
      status: t.status,
      previous_status: previous,
      changed: ["status"],
      resolution_due_at: t.resolutionDueAt.toISOString(),
    });
  } else {
    [t] = (await db
      .update(supportTickets)
      .set({ updatedAt: sql`now()` })
      .where(eq(supportTickets.id, t.id))
      .returning()) as [TicketRow];
  }
  await audit({
    action: "ticket.comment.created",
    resourceType: "support_ticket",
    resourceId: ticketId,
    summary: `Customer commented on support ticket: ${t.subject}${resumed ? " (resolution clock resumed)" : ""}`,
    data: { comment_id: comment.id, length: body.length, ...(resumed ? { status: t.status } : {}) },
  });
  return { comment, ticket: t };
}

/** A ticket's comments, oldest first; public ones only unless a staff route asks for notes. */
export function listComments(
  db: Database,
  customerId: string,
  ticketId: string,
  page: PaginationQuery,
  options: { includeInternal: boolean },
): Promise<CommentRow[]> {
  const c = ticketComments;
  return db
    .select()
    .from(c)
    .where(
      and(
        eq(c.customerId, customerId),
        eq(c.ticketId, ticketId),
        options.includeInternal ? undefined : eq(c.internal, false),
        // Oldest first (a conversation), so the cursor is "a larger id".
        page.starting_after ? sql`${c.id} > ${page.starting_after}` : undefined,
      ),
    )
    .orderBy(c.id)
    .limit(page.limit + 1);
}
