// Platform tables of the scheduled jobs and queue consumers (0003): no tenant data, no RLS.
import { integer, jsonb, pgTable, text, timestamp } from "drizzle-orm/pg-core";
import { id } from "./columns.ts";

export const jobRuns = pgTable("job_runs", {
  id: id(),
  job: text("job").notNull(),
  cron: text("cron"),
  status: text("status").notNull().$type<"running" | "succeeded" | "failed">(),
  detail: jsonb("detail").notNull().$type<Record<string, unknown>>().default({}),
  startedAt: timestamp("started_at", { withTimezone: true }).notNull().defaultNow(),
  finishedAt: timestamp("finished_at", { withTimezone: true }),
});

export const queueReceipts = pgTable("queue_receipts", {
  messageId: text("message_id").primaryKey(),
  queue: text("queue").notNull(),
  eventType: text("event_type").notNull(),
  body: jsonb("body").notNull(),
  attempts: integer("attempts").notNull(),
  receivedAt: timestamp("received_at", { withTimezone: true }).notNull().defaultNow(),
});
