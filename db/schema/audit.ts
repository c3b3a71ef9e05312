// Audit trail (0005): append-only, one hash chain per customer, and its readable view.
import { bigint, inet, jsonb, pgTable, pgView, text, timestamp, uuid } from "drizzle-orm/pg-core";
import { bytea, id } from "./columns.ts";

export const auditActorTypes = ["user", "api_key", "system", "staff"] as const;
export type AuditActorType = (typeof auditActorTypes)[number];

export const auditEvents = pgTable("audit_events", {
  id: id(),
  customerId: uuid("customer_id").notNull(),
  // seq, prev_hash and hash are overwritten by the audit_events_chain trigger on insert.
  seq: bigint("seq", { mode: "number" }).notNull(),
  occurredAt: timestamp("occurred_at", { withTimezone: true }).notNull().defaultNow(),
  actorType: text("actor_type").notNull().$type<AuditActorType>(),
  actorId: text("actor_id"),
  action: text("action").notNull(),
  resourceType: text("resource_type").notNull(),
  resourceId: text("resource_id"),
  requestId: text("request_id"),
  ip: inet("ip"),
  userAgent: text("user_agent"),
  summary: text("summary").notNull(),
  data: jsonb("data").notNull().$type<Record<string, unknown>>().default({}),
  prevHash: bytea("prev_hash").notNull(),
  hash: bytea("hash").notNull(),
});

// Read-only view over audit_events without the chain internals (security_invoker: caller's RLS).
export const activityFeed = pgView("activity_feed", {
  id: uuid("id").notNull(),
  customerId: uuid("customer_id").notNull(),
  occurredAt: timestamp("occurred_at", { withTimezone: true }).notNull(),
  actorType: text("actor_type").notNull().$type<AuditActorType>(),
  actorId: text("actor_id"),
  action: text("action").notNull(),
  resourceType: text("resource_type").notNull(),
  resourceId: text("resource_id"),
  summary: text("summary").notNull(),
}).existing();
