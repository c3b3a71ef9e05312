// The support desk's scheduled work, on the jobs role (cross-tenant by the explicit sb_jobs
// grants of migration 0009: SELECT/UPDATE/DELETE on support_tickets, INSERT on audit_events
// and outbox_events).
//
// Breaches are marked exactly once per clock: the UPDATE sets a clock's breach mark only where
// it is still NULL, so a second sweep (or one running concurrently: rows another sweep holds
// are skipped, then re-checked by the UPDATE) finds nothing to mark, and the event and the audit
// event are written in the same transaction as the mark — all of it commits, or none.
import { sql } from "drizzle-orm";
import { auditEvents, outboxEvents, type TicketPriority } from "../../db/schema.ts";
import { outboxRow } from "../events/outbox.ts";
import type { Env } from "../env.ts";
import { type Database, withJobsDatabase } from "../platform/database.ts";

/** Closed tickets (and their comments) are kept this long after closing (docs/support.md). */
export const CLOSED_TICKET_RETENTION_DAYS = 90;
/** Upper bound of breaches marked per clock and run; the next run takes the rest. */
export const BREACH_BATCH = 500;

interface Breach {
  id: string;
  customer_id: string;
  priority: TicketPriority;
  subject: string;
  due_at: string;
  breached_at: string;
}

const clocks = {
  first_response: {
    mark: sql.raw("first_response_breached_at"),
    due: sql.raw("first_response_due_at"),
    running: sql.raw("first_responded_at IS NULL AND status NOT IN ('resolved', 'closed')"),
  },
  resolution: {
    mark: sql.raw("resolution_breached_at"),
    due: sql.raw("resolution_due_at"),
    // waiting_on_customer is paused; resolved and closed have stopped.
    running: sql.raw("status IN ('open', 'in_progress')"),
  },
} as const;
export type SlaClock = keyof typeof clocks;

const iso = sql.raw(`'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'`);

async function markBreaches(db: Database, clock: SlaClock): Promise<Breach[]> {
  const { mark, due, running } = clocks[clock];
  const result = await db.execute<Record<string, unknown>>(sql`
    UPDATE support_tickets t
       SET ${mark} = now(), sla_breached_at = coalesce(t.sla_breached_at, now())
      FROM (SELECT id FROM support_tickets
             WHERE ${mark} IS NULL AND ${running} AND ${due} < now()
             ORDER BY ${due} LIMIT ${BREACH_BATCH} FOR UPDATE SKIP LOCKED) due_now
     WHERE t.id = due_now.id AND t.${mark} IS NULL AND ${running} AND t.${due} < now()
    RETURNING t.id, t.customer_id, t.priority, t.subject,
              to_char(t.${due} AT TIME ZONE 'UTC', ${iso}) AS due_at,
              to_char(t.${mark} AT TIME ZONE 'UTC', ${iso}) AS breached_at`);
  return result.rows as unknown as Breach[];
}

const systemAudit = (
  customerId: string,
  action: string,
  resourceId: string,
  summary: string,
  data: Record<string, unknown>,
) => ({
  customerId,
  actorType: "system" as const,
  actorId: "support-sweep",
  action,
  resourceType: "support_ticket",
  resourceId,
  summary,
  data,
  // Filled by the chain trigger; drizzle's insert type requires them.
  seq: 0,
  prevHash: new Uint8Array(32),
  hash: new Uint8Array(32),
});

/** Every 5 minutes: marks each newly breached clock once, with its event and audit event. */
export async function sweepSlaBreaches(db: Database): Promise<Record<SlaClock, number>> {
  const counts = { first_response: 0, resolution: 0 };
  for (const clock of Object.keys(clocks) as SlaClock[]) {
    const breaches = await markBreaches(db, clock);
    counts[clock] = breaches.length;
    if (breaches.length === 0) continue;
    await db.insert(outboxEvents).values(
      breaches.map((b) =>
        outboxRow(b.customer_id, "ticket.sla_breached", {
          id: b.id,
          clock,
          priority: b.priority,
          due_at: b.due_at,
          breached_at: b.breached_at,
        }),
      ),
    );
    const label = clock === "first_response" ? "first-response" : "resolution";
    await db.insert(auditEvents).values(
      breaches.map((b) =>
        systemAudit(
          b.customer_id,
          "ticket.sla_breached",
          b.id,
          `Support ticket ${label} SLA breached (due ${b.due_at}): ${b.subject}`,
          {
            clock,
            due_at: b.due_at,
            priority: b.priority,
          },
        ),
      ),
    );
  }
  return counts;
}

/** Daily: deletes tickets closed more than 90 days ago with all their comments, audited. */
export async function purgeClosedTickets(db: Database): Promise<{ purged_tickets: number }> {
  const result = await db.execute<Record<string, unknown>>(sql`
    DELETE FROM support_tickets
     WHERE status = 'closed' AND closed_at < now() - make_interval(days => ${CLOSED_TICKET_RETENTION_DAYS}::integer)
    RETURNING id, customer_id, to_char(closed_at AT TIME ZONE 'UTC', ${iso}) AS closed_at`);
  // Comments go with their ticket (ON DELETE CASCADE), internal notes included.
  const purged = result.rows as unknown as { id: string; customer_id: string; closed_at: string }[];
  if (purged.length > 0) {
    await db.insert(auditEvents).values(
      purged.map((p) =>
        systemAudit(
          p.customer_id,
          "ticket.purged",
          p.id,
          `Support ticket and its comments purged ${CLOSED_TICKET_RETENTION_DAYS} days after closing`,
          {
            closed_at: p.closed_at,
            retention_days: CLOSED_TICKET_RETENTION_DAYS,
          },
        ),
      ),
    );
  }
  return { purged_tickets: purged.length };
}

/** Job (every 5 minutes): record SLA breaches once each and emit ticket.sla_breached. */
export async function sweepSupportSla(env: Env): Promise<Record<string, unknown>> {
  const breaches = await withJobsDatabase(env, (db) => sweepSlaBreaches(db));
  return { first_response_breaches: breaches.first_response, resolution_breaches: breaches.resolution };
}

/** Job (daily): purge tickets closed past retention, with their comments, audited. */
export function purgeSupportTickets(env: Env): Promise<Record<string, unknown>> {
  return withJobsDatabase(env, (db) => purgeClosedTickets(db));
}
