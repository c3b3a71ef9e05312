// Audit trail (0005): append-only, one hash chain per customer, and its readable view.
import { bigint, date, inet, jsonb, pgTable, pgView, text, timestamp, uuid } from "drizzle-orm/pg-core";
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

// The audit archive manifest (0190): one row per R2 object, with the chain hashes at its ends.
export const auditArchives = pgTable("audit_archives", {
  id: id(),
  customerId: uuid("customer_id").notNull(),
  day: date("day").notNull(),
  jurisdiction: text("jurisdiction").notNull().$type<"us" | "eu" | "fedramp">(),
  objectKey: text("object_key").notNull(),
  firstSeq: bigint("first_seq", { mode: "number" }).notNull(),
  lastSeq: bigint("last_seq", { mode: "number" }).notNull(),
  eventCount: bigint("event_count", { mode: "number" }).notNull(),
  firstPrevHash: bytea("first_prev_hash").notNull(),
  lastHash: bytea("last_hash").notNull(),
  firstOccurredAt: timestamp("first_occurred_at", { withTimezone: true }).notNull(),
  lastOccurredAt: timestamp("last_occurred_at", { withTimezone: true }).notNull(),
  sha256: bytea("sha256").notNull(),
  bytes: bigint("bytes", { mode: "number" }).notNull(),
  archivedAt: timestamp("archived_at", { withTimezone: true }).notNull().defaultNow(),
  purgedAt: timestamp("purged_at", { withTimezone: true }),
  expiredAt: timestamp("expired_at", { withTimezone: true }),
});

// A customer under legal hold keeps its archived audit events past retention (0190, staff-set).
export const auditLegalHolds = pgTable("audit_legal_holds", {
  customerId: uuid("customer_id").primaryKey(),
  reason: text("reason").notNull(),
  setBy: uuid("set_by"),
  setAt: timestamp("set_at", { withTimezone: true }).notNull().defaultNow(),
});
