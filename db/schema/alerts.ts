// Platform tables of the alerting job (0180): no tenant data, no RLS (docs/operations.md, "Alerts").
import { integer, jsonb, pgTable, text, timestamp, uuid } from "drizzle-orm/pg-core";
import { id } from "./columns.ts";

export const alertIncidents = pgTable("alert_incidents", {
  id: id(),
  rule: text("rule").notNull(),
  key: text("key").notNull(),
  openedAt: timestamp("opened_at", { withTimezone: true }).notNull().defaultNow(),
  lastSeenAt: timestamp("last_seen_at", { withTimezone: true }).notNull().defaultNow(),
  resolvedAt: timestamp("resolved_at", { withTimezone: true }),
  details: jsonb("details").notNull().$type<Record<string, unknown>>().default({}),
  // Acknowledgement (0250): the staff user who took it, and an optional note (<= 500 chars).
  acknowledgedAt: timestamp("acknowledged_at", { withTimezone: true }),
  acknowledgedBy: uuid("acknowledged_by"),
  acknowledgeNote: text("acknowledge_note"),
});

export const alertDeliveries = pgTable("alert_deliveries", {
  id: id(),
  incidentId: uuid("incident_id").notNull(),
  kind: text("kind").notNull().$type<"opened" | "resolved">(),
  status: text("status").notNull().default("pending").$type<"pending" | "succeeded" | "dead">(),
  attempts: integer("attempts").notNull().default(0),
  lastStatus: integer("last_status"),
  lastError: text("last_error"),
  nextAttemptAt: timestamp("next_attempt_at", { withTimezone: true }).notNull().defaultNow(),
  createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
});

export const queueDeadLetters = pgTable("queue_dead_letters", {
  id: id(),
  queue: text("queue").notNull(),
  messageId: text("message_id").notNull(),
  body: jsonb("body").notNull(),
  attempts: integer("attempts").notNull(),
  receivedAt: timestamp("received_at", { withTimezone: true }).notNull().defaultNow(),
});
