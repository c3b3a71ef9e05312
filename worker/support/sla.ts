// SLA clocks and the ticket lifecycle, as pure functions of a ticket row and "now" (so the
// boundaries are testable to the millisecond) plus the SQL forms the queries and the sweep use.
//
// The rules (docs/support.md documents them for customers):
// - First response: due `first_response_hours` after the ticket is opened (sla_policies, by the
//   customer's tier and the ticket's priority). The first public staff reply stops it; internal
//   notes do not. Met when that reply is at or before the deadline; breached one millisecond
//   after. A ticket resolved or closed before any reply stops the clock at that moment.
// - Resolution: due `resolution_hours` after opening. `waiting_on_customer` pauses it: when the
//   ticket leaves that status (a customer reply, or staff moving it on) the deadline moves back
//   by the paused time. A reopened ticket's deadline moves back by the time it spent resolved.
//   Met when resolved (or closed by the customer) at or before the deadline.
import { sql } from "drizzle-orm";
import type { PgUpdateSetSource } from "drizzle-orm/pg-core";
import { supportTickets, type Tier, type TicketStatus } from "../../db/schema.ts";

export type TicketRow = typeof supportTickets.$inferSelect;
export type ClockStatus = "pending" | "paused" | "met" | "breached";

export interface ClockView {
  due_at: string;
  status: ClockStatus;
  /** Seconds until the deadline (negative once overdue); frozen while paused; null once stopped. */
  remaining_seconds: number | null;
  /** When the clock stopped (first staff reply, resolution), or null while it runs. */
  stopped_at: string | null;
  /** When the breach sweep recorded the breach (and emitted ticket.sla_breached), or null. */
  breach_recorded_at: string | null;
}

export interface SlaView {
  tier: Tier | null;
  first_response: ClockView;
  resolution: ClockView;
  breached: boolean;
}

const seconds = (ms: number) => Math.floor(ms / 1000);
const iso = (d: Date | null) => d?.toISOString() ?? null;

function stoppedClock(due: Date, stoppedAt: Date, recorded: Date | null): ClockView {
  return {
    due_at: due.toISOString(),
    status: stoppedAt.getTime() <= due.getTime() ? "met" : "breached",
    remaining_seconds: null,
    stopped_at: stoppedAt.toISOString(),
    breach_recorded_at: iso(recorded),
  };
}

function runningClock(due: Date, at: Date, paused: boolean, recorded: Date | null): ClockView {
  const overdue = at.getTime() > due.getTime();
  return {
    due_at: due.toISOString(),
    status: overdue ? "breached" : paused ? "paused" : "pending",
    remaining_seconds: seconds(due.getTime() - at.getTime()),
    stopped_at: null,
    breach_recorded_at: iso(recorded),
  };
}

/** When the ticket's work stopped without a staff reply or resolution (closed, resolved). */
const endedAt = (t: TicketRow): Date | null => t.resolvedAt ?? (t.status === "closed" ? t.closedAt : null);

export function firstResponseClock(t: TicketRow, now: Date): ClockView {
  const stop = t.firstRespondedAt ?? endedAt(t);
  return stop
    ? stoppedClock(t.firstResponseDueAt, stop, t.firstResponseBreachedAt)
    : runningClock(t.firstResponseDueAt, now, false, t.firstResponseBreachedAt);
}

export function resolutionClock(t: TicketRow, now: Date): ClockView {
  const stop = endedAt(t);
  if (stop) return stoppedClock(t.resolutionDueAt, stop, t.resolutionBreachedAt);
  const paused = t.resolutionPausedAt !== null;
  return runningClock(t.resolutionDueAt, t.resolutionPausedAt ?? now, paused, t.resolutionBreachedAt);
}

export function slaOf(t: TicketRow, now: Date): SlaView {
  const first = firstResponseClock(t, now);
  const resolution = resolutionClock(t, now);
  return {
    tier: t.slaTier,
    first_response: first,
    resolution,
    breached: first.status === "breached" || resolution.status === "breached",
  };
}

/** Staff moves between statuses; anything else is a 409 naming these. */
export const staffTransitions: Record<TicketStatus, readonly TicketStatus[]> = {
  open: ["in_progress", "waiting_on_customer", "resolved", "closed"],
  in_progress: ["waiting_on_customer", "resolved", "closed"],
  waiting_on_customer: ["in_progress", "resolved", "closed"],
  resolved: ["in_progress", "closed"],
  closed: [],
};

/** How long after resolution a customer may reopen a ticket. */
export const REOPEN_WINDOW_MS = 7 * 24 * 3600 * 1000;

/** Customer moves: close from any status but closed; reopen (to open) within 7 days of resolution. */
export function customerTransitions(t: TicketRow, now: Date): TicketStatus[] {
  const canReopen = t.resolvedAt !== null && now.getTime() - t.resolvedAt.getTime() <= REOPEN_WINDOW_MS;
  if (t.status === "closed") return canReopen ? ["open"] : [];
  if (t.status === "resolved") return canReopen ? ["open", "closed"] : ["closed"];
  return ["closed"];
}

const s = supportTickets;

/**
 * The column changes of moving `t` to `to`, computed by Postgres' clock (`now()`) so every
 * deadline and timestamp of a ticket comes from one clock.
 */
export function transitionSet(t: TicketRow, to: TicketStatus): PgUpdateSetSource<typeof supportTickets> {
  const set: PgUpdateSetSource<typeof supportTickets> = { status: to, updatedAt: sql`now()` };
  if (t.status === "waiting_on_customer" && to !== "waiting_on_customer") {
    // The pause ends: the deadline moves back by the time the ticket waited on the customer.
    set.resolutionDueAt = sql`${s.resolutionDueAt} + (now() - ${s.resolutionPausedAt})`;
    set.resolutionPausedAt = null;
  }
  if (to === "waiting_on_customer") set.resolutionPausedAt = sql`now()`;
  if (to === "resolved") set.resolvedAt = sql`now()`;
  if (to === "closed") set.closedAt = sql`now()`;
  if ((t.status === "resolved" || t.status === "closed") && (to === "open" || to === "in_progress")) {
    // Reopened: the time spent resolved does not count against the resolution clock.
    if (t.resolvedAt) set.resolutionDueAt = sql`${s.resolutionDueAt} + (now() - ${s.resolvedAt})`;
    set.resolvedAt = null;
    set.closedAt = null;
    set.reopenedAt = sql`now()`;
  }
  return set;
}

/** Breached now, in SQL (the staff queue's `breached` filter); the same rules as slaOf. */
export const breachedSql = sql`(
  ${s.firstResponseBreachedAt} IS NOT NULL OR ${s.resolutionBreachedAt} IS NOT NULL
  OR coalesce(${s.firstRespondedAt}, ${s.resolvedAt}, CASE WHEN ${s.status} = 'closed' THEN ${s.closedAt} END, now()) > ${s.firstResponseDueAt}
  OR coalesce(${s.resolvedAt}, CASE WHEN ${s.status} = 'closed' THEN ${s.closedAt} END, ${s.resolutionPausedAt}, now()) > ${s.resolutionDueAt}
)`;

/**
 * The staff queue's sort key: the next deadline on a running clock. Paused, resolved and closed
 * tickets have none ('infinity': after every running one). No now() in it, so pages are stable.
 */
export const nextDeadlineSql = sql<Date>`(CASE
  WHEN ${s.status} IN ('resolved', 'closed') THEN 'infinity'::timestamptz
  WHEN ${s.firstRespondedAt} IS NULL AND ${s.status} = 'waiting_on_customer' THEN ${s.firstResponseDueAt}
  WHEN ${s.firstRespondedAt} IS NULL THEN least(${s.firstResponseDueAt}, ${s.resolutionDueAt})
  WHEN ${s.status} = 'waiting_on_customer' THEN 'infinity'::timestamptz
  ELSE ${s.resolutionDueAt}
END)`;
