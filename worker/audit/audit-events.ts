// Reading the audit trail (docs/data-model.md): the customer's hash-chained audit events, their
// verification by Postgres (app.verify_audit_chain walks the caller's chain), and the readable
// activity feed (the activity_feed view: the same events without the chain internals).
// Everything runs inside the caller's tenant transaction, where RLS limits rows to its customer;
// the explicit customer filter stays so the planner uses the (customer_id, id DESC) index.
import { and, desc, eq, getTableColumns, getViewSelectedFields, sql, type Column } from "drizzle-orm";
import { activityFeed, auditEvents, type AuditActorType } from "../../db/schema.ts";
import { afterCursor, type PaginationQuery } from "../http/pagination.ts";
import type { Database } from "../platform/database.ts";

/** occurred_at as an exact ISO 8601 string (microseconds, UTC): what the hash chain covers. */
export type AuditEventRow = Omit<typeof auditEvents.$inferSelect, "occurredAt"> & { occurredAt: string };
export type ActivityRow = Omit<typeof activityFeed.$inferSelect, "occurredAt"> & { occurredAt: string };

// A JS Date would drop the microseconds; the API returns (and filters on) the exact time.
const isoMicros = (column: Column) =>
  sql<string>`to_char(${column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`;
const auditColumns = { ...getTableColumns(auditEvents), occurredAt: isoMicros(auditEvents.occurredAt) };

export interface AuditFilters extends PaginationQuery {
  action?: string;
  resource_type?: string;
  resource_id?: string;
  actor_type?: AuditActorType;
  actor_id?: string;
  /** ISO datetimes, exclusive bounds. */
  occurred_after?: string;
  occurred_before?: string;
}

export function listAuditEvents(db: Database, customerId: string, filters: AuditFilters): Promise<AuditEventRow[]> {
  return db
    .select(auditColumns)
    .from(auditEvents)
    .where(
      and(
        eq(auditEvents.customerId, customerId),
        filters.action ? eq(auditEvents.action, filters.action) : undefined,
        filters.resource_type ? eq(auditEvents.resourceType, filters.resource_type) : undefined,
        filters.resource_id ? eq(auditEvents.resourceId, filters.resource_id) : undefined,
        filters.actor_type ? eq(auditEvents.actorType, filters.actor_type) : undefined,
        filters.actor_id ? eq(auditEvents.actorId, filters.actor_id) : undefined,
        filters.occurred_after ? sql`${auditEvents.occurredAt} > ${filters.occurred_after}::timestamptz` : undefined,
        filters.occurred_before ? sql`${auditEvents.occurredAt} < ${filters.occurred_before}::timestamptz` : undefined,
        afterCursor(auditEvents.id, filters),
      ),
    )
    .orderBy(desc(auditEvents.id))
    .limit(filters.limit + 1);
}

export async function getAuditEvent(db: Database, customerId: string, id: string): Promise<AuditEventRow | undefined> {
  const [row] = await db
    .select(auditColumns)
    .from(auditEvents)
    .where(and(eq(auditEvents.customerId, customerId), eq(auditEvents.id, id)));
  return row;
}

export interface ChainVerification {
  valid: boolean;
  checked: number;
  first_broken: { seq: number; id: string; reason: string } | null;
}

interface VerifyRow extends Record<string, unknown> {
  valid: boolean;
  // bigint columns arrive as strings
  checked: string | number;
  first_broken_seq: string | number | null;
  first_broken_id: string | null;
  reason: string | null;
}

/** Postgres walks the caller's whole chain and names the first broken link. */
export async function verifyAuditChain(db: Database): Promise<ChainVerification> {
  const result = await db.execute<VerifyRow>(sql`SELECT * FROM app.verify_audit_chain()`);
  const row = result.rows[0]!;
  return {
    valid: row.valid,
    checked: Number(row.checked),
    first_broken:
      row.valid || row.first_broken_seq === null
        ? null
        : { seq: Number(row.first_broken_seq), id: row.first_broken_id!, reason: row.reason ?? "broken link" },
  };
}

export function listActivity(db: Database, customerId: string, page: PaginationQuery): Promise<ActivityRow[]> {
  return db
    .select({ ...getViewSelectedFields(activityFeed), occurredAt: isoMicros(activityFeed.occurredAt) })
    .from(activityFeed)
    .where(and(eq(activityFeed.customerId, customerId), afterCursor(activityFeed.id, page)))
    .orderBy(desc(activityFeed.id))
    .limit(page.limit + 1);
}
