// Events (0008): the outbox, idempotency keys, webhooks with every delivery attempt, and
// notifications with per-user preferences.
import { sql } from "drizzle-orm";
import { boolean, integer, jsonb, pgTable, primaryKey, text, timestamp, uuid } from "drizzle-orm/pg-core";
import { bytea, createdAt, id } from "./columns.ts";

export const outboxEvents = pgTable("outbox_events", {
  id: id(),
  customerId: uuid("customer_id").notNull(),
  type: text("type").notNull(),
  payload: jsonb("payload").notNull().$type<Record<string, unknown>>(),
  createdAt: createdAt(),
  publishedAt: timestamp("published_at", { withTimezone: true }),
  attempts: integer("attempts").notNull().default(0),
});

export const idempotencyKeys = pgTable(
  "idempotency_keys",
  {
    customerId: uuid("customer_id").notNull(),
    key: text("key").notNull(),
    method: text("method").notNull(),
    path: text("path").notNull(),
    requestHash: bytea("request_hash").notNull(),
    /** The credential the stored response belongs to (0080): 'key:<id>' or 'user:<id>'. */
    principal: text("principal"),
    statusCode: integer("status_code"),
    responseBody: jsonb("response_body").$type<unknown>(),
    responseHeaders: jsonb("response_headers").$type<Record<string, string>>(),
    createdAt: createdAt(),
    completedAt: timestamp("completed_at", { withTimezone: true }),
    expiresAt: timestamp("expires_at", { withTimezone: true }).notNull().default(sql`now() + interval '24 hours'`),
  },
  (t) => [primaryKey({ columns: [t.customerId, t.key] })],
);

export const webhookEndpoints = pgTable("webhook_endpoints", {
  id: id(),
  customerId: uuid("customer_id").notNull(),
  url: text("url").notNull(),
  description: text("description"),
  eventTypes: text("event_types").array().notNull().default([]),
  // AES-GCM ciphertexts of the signing secrets (recoverable to sign; the key lives outside the database).
  secretCiphertext: bytea("secret_ciphertext").notNull(),
  previousSecretCiphertext: bytea("previous_secret_ciphertext"),
  previousSecretExpiresAt: timestamp("previous_secret_expires_at", { withTimezone: true }),
  status: text("status").notNull().$type<"enabled" | "disabled">().default("enabled"),
  disabledReason: text("disabled_reason"),
  failingSince: timestamp("failing_since", { withTimezone: true }),
  failureWarningSentAt: timestamp("failure_warning_sent_at", { withTimezone: true }),
  createdAt: createdAt(),
  updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
});

export const webhookDeliveries = pgTable("webhook_deliveries", {
  id: id(),
  customerId: uuid("customer_id").notNull(),
  endpointId: uuid("endpoint_id").notNull(),
  eventId: uuid("event_id").notNull(),
  eventType: text("event_type").notNull(),
  payload: jsonb("payload").notNull().$type<Record<string, unknown>>(),
  status: text("status").notNull().$type<"pending" | "succeeded" | "failed" | "dead">().default("pending"),
  attemptCount: integer("attempt_count").notNull().default(0),
  nextAttemptAt: timestamp("next_attempt_at", { withTimezone: true }),
  lastStatusCode: integer("last_status_code"),
  createdAt: createdAt(),
  updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
});

export const webhookDeliveryAttempts = pgTable("webhook_delivery_attempts", {
  id: id(),
  customerId: uuid("customer_id").notNull(),
  deliveryId: uuid("delivery_id").notNull(),
  attemptNumber: integer("attempt_number").notNull(),
  statusCode: integer("status_code"),
  latencyMs: integer("latency_ms"),
  responseExcerpt: text("response_excerpt"),
  error: text("error"),
  attemptedAt: timestamp("attempted_at", { withTimezone: true }).notNull().defaultNow(),
});

export const notificationCategories = [
  "notifications",
  "support",
  "webhooks",
  "cost_alerts",
  "billing",
  "security",
] as const;
export type NotificationCategory = (typeof notificationCategories)[number];
export const notificationChannels = ["in_app", "email"] as const;
export type NotificationChannel = (typeof notificationChannels)[number];

export const notifications = pgTable("notifications", {
  id: id(),
  customerId: uuid("customer_id").notNull(),
  // NULL: for every user of the customer.
  userId: uuid("user_id"),
  category: text("category").notNull().$type<NotificationCategory>(),
  eventType: text("event_type").notNull(),
  title: text("title").notNull(),
  body: text("body").notNull(),
  readAt: timestamp("read_at", { withTimezone: true }),
  createdAt: createdAt(),
  expiresAt: timestamp("expires_at", { withTimezone: true }).notNull().default(sql`now() + interval '30 days'`),
});

export const notificationPreferences = pgTable(
  "notification_preferences",
  {
    customerId: uuid("customer_id").notNull(),
    userId: uuid("user_id").notNull(),
    channel: text("channel").notNull().$type<NotificationChannel>(),
    eventType: text("event_type").notNull(),
    enabled: boolean("enabled").notNull(),
    updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.customerId, t.userId, t.channel, t.eventType] })],
);

// 0020: emails waiting for (or sent through) the SES API; rendered at send time from `data`.
export const emailMessages = pgTable("email_messages", {
  id: id(),
  customerId: uuid("customer_id").notNull(),
  eventId: uuid("event_id"),
  eventType: text("event_type").notNull(),
  userId: uuid("user_id"),
  toAddress: text("to_address").notNull(),
  data: jsonb("data").notNull().$type<Record<string, unknown>>().default({}),
  secretCiphertext: bytea("secret_ciphertext"),
  status: text("status").notNull().$type<"pending" | "sent" | "failed" | "suppressed">().default("pending"),
  attempts: integer("attempts").notNull().default(0),
  nextAttemptAt: timestamp("next_attempt_at", { withTimezone: true }).notNull().defaultNow(),
  lastError: text("last_error"),
  providerMessageId: text("provider_message_id"),
  sentAt: timestamp("sent_at", { withTimezone: true }),
  createdAt: createdAt(),
});
