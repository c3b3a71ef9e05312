// The SecureBase staff side of the support desk: a queue across customers sorted by the nearest
// running deadline, assignment, status transitions, public replies and internal notes.
//
// Reads run in the staff principal's own super-admin context (migration 0050's staff SELECT
// policies show every customer's tickets and comments). Writes run in a super-admin context
// bound to the ticket's customer, so the tenant policies still apply and the audit event lands in
// that customer's chain. An internal note's audit event and every event names the note by id
// only: its text is readable by staff contexts alone.
import { and, asc, eq, sql } from "drizzle-orm";
import { customers, supportTickets, type Tier, type TicketPriority, type TicketStatus } from "../../db/schema.ts";
import type { PaginationQuery } from "../http/pagination.ts";
import { invalidField, notFound } from "../http/problem.ts";
import type { Database } from "../platform/database.ts";
import type { Audit } from "../http/transactions.ts";
import type { Emit } from "../events/outbox.ts";
import { updatedPayload } from "./events.ts";
import { breachedSql, nextDeadlineSql, staffTransitions, type TicketRow } from "./sla.ts";
import { closedTicket, getTicket, illegalTransition, insertComment, moveTicket, type CommentRow } from "./tickets.ts";

export interface QueueFilters extends PaginationQuery {
  status?: TicketStatus;
  priority?: TicketPriority;
  breached?: boolean;
  customer_id?: string;
}

export interface QueueRow {
  ticket: TicketRow;
  customer: { id: string; name: string; tier: Tier };
}

const t = supportTickets;

/** One page (limit + 1) of every customer's tickets, nearest running deadline first. */
export async function staffQueue(db: Database, f: QueueFilters): Promise<QueueRow[]> {
  const rows = await db
    .select({ ticket: t, customer: { id: customers.id, name: customers.name, tier: customers.tier } })
    .from(t)
    .innerJoin(customers, eq(customers.id, t.customerId))
    .where(
      and(
        f.status ? eq(t.status, f.status) : undefined,
        f.priority ? eq(t.priority, f.priority) : undefined,
        f.customer_id ? eq(t.customerId, f.customer_id) : undefined,
        f.breached === undefined ? undefined : f.breached ? breachedSql : sql`NOT ${breachedSql}`,
        // Keyset on (next deadline, id): the cursor row's key, looked up by its id.
        f.starting_after
          ? sql`(${nextDeadlineSql}, ${t.id}) > (SELECT ${nextDeadlineSql}, ${t.id} FROM ${t} WHERE ${t.id} = ${f.starting_after})`
          : undefined,
      ),
    )
    .orderBy(asc(nextDeadlineSql), asc(t.id))
    .limit(f.limit + 1);
  return rows;
}

/** Which customer a ticket belongs to (staff context: any customer's), or undefined. */
export async function ticketCustomer(db: Database, id: string): Promise<string | undefined> {
  const [row] = await db.select({ customerId: t.customerId }).from(t).where(eq(t.id, id));
  return row?.customerId;
}

export interface StaffPatch {
  status?: TicketStatus;
  /** A staff user id, or null to unassign. */
  assigneeId?: string | null;
}

/** Assigns and/or moves a ticket; an illegal move is a 409 naming the allowed ones. */
export async function staffUpdateTicket(
  db: Database,
  audit: Audit,
  emit: Emit,
  customerId: string,
  id: string,
  patch: StaffPatch,
): Promise<TicketRow> {
  const before = await getTicket(db, customerId, id, true);
  if (!before) throw notFound("support ticket", id);
  let row = before;
  const changed: string[] = [];
  if (patch.assigneeId !== undefined && patch.assigneeId !== before.assignee) {
    if (patch.assigneeId !== null) {
      const staff = await db.execute(sql`SELECT user_id FROM app.staff_member(${patch.assigneeId}::uuid)`);
      if (staff.rows.length === 0)
        throw invalidField("assignee_id", "not_staff", "names no active SecureBase staff member");
    }
    [row] = (await db
      .update(t)
      .set({ assignee: patch.assigneeId, updatedAt: sql`now()` })
      .where(and(eq(t.customerId, customerId), eq(t.id, id)))
      .returning()) as [TicketRow];
    changed.push("assignee");
  }
  if (patch.status !== undefined && patch.status !== before.status) {
    const allowed = staffTransitions[before.status];
    if (!allowed.includes(patch.status)) throw illegalTransition(before, patch.status, allowed);
    row = await moveTicket(db, row, patch.status);
    changed.push("status");
  }
  if (changed.length === 0) return row;
  await audit({
    action: changed.includes("status") ? "ticket.status_changed" : "ticket.assigned",
    resourceType: "support_ticket",
    resourceId: id,
    summary: `Support ticket ${changed.includes("status") ? `moved ${before.status} → ${row.status}` : "assigned"} by SecureBase staff: ${row.subject}`,
    data: { changed, previous_status: before.status, status: row.status, assignee: row.assignee },
  });
  await emit("ticket.updated", updatedPayload(row, before, changed));
  return row;
}

/**
 * A staff reply (public) or internal note. The first public reply stops the first-response
 * clock; a note stops nothing, emits nothing and is audited without its text.
 */
export async function addStaffComment(
  db: Database,
  audit: Audit,
  emit: Emit,
  customerId: string,
  staffUserId: string,
  ticketId: string,
  body: string,
  internal: boolean,
): Promise<{ comment: CommentRow; ticket: TicketRow }> {
  let ticket = await getTicket(db, customerId, ticketId, true);
  if (!ticket) throw notFound("support ticket", ticketId);
  if (ticket.status === "closed") throw closedTicket(ticket);
  const comment = await insertComment(db, emit, ticket, { type: "staff", id: staffUserId }, body, internal);
  if (internal) {
    await audit({
      action: "ticket.internal_note.created",
      resourceType: "support_ticket",
      resourceId: ticketId,
      summary: "SecureBase staff added an internal note to a support ticket",
      data: { comment_id: comment.id },
    });
    return { comment, ticket };
  }
  const firstResponse = ticket.firstRespondedAt === null;
  [ticket] = (await db
    .update(t)
    .set({ updatedAt: sql`now()`, ...(firstResponse ? { firstRespondedAt: sql`now()` } : {}) })
    .where(and(eq(t.customerId, customerId), eq(t.id, ticketId)))
    .returning()) as [TicketRow];
  await audit({
    action: "ticket.comment.created",
    resourceType: "support_ticket",
    resourceId: ticketId,
    summary: `SecureBase staff replied to support ticket: ${ticket.subject}${firstResponse ? " (first response)" : ""}`,
    data: { comment_id: comment.id, length: body.length, first_response: firstResponse },
  });
  return { comment, ticket };
}
