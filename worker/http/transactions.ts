// Tenant transactions for route handlers: the context comes from the authenticated principal
// (never from the request), and writes get an `audit` function that records the change in the
// same transaction (docs/data-model.md: an audited change and its audit event commit or fail together).
import { OutboxBuffer, publish, toMessage, type Emit } from "../events/outbox.ts";
import { actorOf, tenantContextOf } from "../auth/principal.ts";
import type { AppContext } from "./context.ts";
import { clientIp } from "./client-ip.ts";
import { insertFromJson } from "../platform/commit-batch.ts";
import { RequestDatabase, type Database } from "../platform/database.ts";
import type { TenantContext } from "../platform/tenant-context.ts";

export interface AuditEntry {
  action: string;
  resourceType: string;
  resourceId?: string | null;
  summary: string;
  data?: Record<string, unknown>;
}
export type Audit = (entry: AuditEntry) => Promise<void>;
export type Actor = { type: "user" | "api_key" | "staff" | "system"; id: string };

const AUDIT_COLUMNS = {
  customer_id: "uuid",
  actor_type: "text",
  actor_id: "text",
  action: "text",
  resource_type: "text",
  resource_id: "text",
  request_id: "text",
  ip: "inet",
  user_agent: "text",
  summary: "text",
  data: "jsonb",
};
/** seq, prev_hash and hash are set by the chain trigger (migration 0005). */
const AUDIT_FILLED_BY_TRIGGER = { seq: "0", prev_hash: "''::bytea", hash: "''::bytea" };

export function readAs<T>(c: AppContext, work: (db: Database) => Promise<T>): Promise<T> {
  return c.var.db.tenant(tenantContextOf(c.var.principal), "read", work);
}

/**
 * A write transaction with an audit writer and an event emitter (outbox rows committed with the
 * change, published to the queue after the commit). Public routes (login, invite acceptance) have
 * no principal yet and pass the context and actor they established themselves.
 */
export async function writeAs<T>(
  c: AppContext,
  work: (db: Database, audit: Audit, emit: Emit) => Promise<T>,
  as?: { context: TenantContext; actor: Actor },
): Promise<T> {
  const context = as?.context ?? tenantContextOf(c.var.principal);
  const actor = as?.actor ?? actorOf(c.var.principal);
  const outbox = new OutboxBuffer(c.env.DATA_ENCRYPTION_KEY, context.customerId);
  // Audit rows are buffered like outbox rows and travel with COMMIT: a write that changes one
  // resource costs start + context, its statement, and COMMIT — three round trips.
  const audits: Record<string, unknown>[] = [];
  const audit: Audit = async (entry) => {
    audits.push({
      customer_id: context.customerId,
      actor_type: actor.type,
      actor_id: actor.id,
      action: entry.action,
      resource_type: entry.resourceType,
      resource_id: entry.resourceId ?? null,
      request_id: c.var.requestId,
      ip: clientIp(c),
      user_agent: c.req.header("user-agent")?.slice(0, 512) ?? null,
      summary: entry.summary,
      data: entry.data ?? {},
    });
  };
  const result = await c.var.db.tenant(context, "write", (db) => work(db, audit, outbox.emit), {
    beforeCommit: () => {
      const statements = [
        audits.length > 0 ? insertFromJson("audit_events", AUDIT_COLUMNS, audits, AUDIT_FILLED_BY_TRIGGER) : undefined,
        outbox.commitSql(),
      ];
      return statements.filter(Boolean).join("; ") || undefined;
    },
  });
  if (outbox.events.length > 0) c.executionCtx.waitUntil(publish(c.env.EVENTS, outbox.events.map(toMessage)));
  return result;
}

/**
 * A read on the reporting role (sb_analytics: SELECT only, RLS-bound, 30 s statement timeout)
 * with the caller's signed context, on its own connection closed after the response. Without
 * ANALYTICS_DATABASE_URL it is a read-only transaction on the request role.
 */
export async function readAsAnalytics<T>(c: AppContext, work: (db: Database) => Promise<T>): Promise<T> {
  const url = c.env.ANALYTICS_DATABASE_URL;
  if (!url) return readAs(c, work);
  const analytics = new RequestDatabase(c.env, url);
  try {
    return await analytics.tenant(tenantContextOf(c.var.principal), "read", work);
  } finally {
    c.executionCtx.waitUntil(analytics.close());
  }
}
