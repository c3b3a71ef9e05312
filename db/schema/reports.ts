// Analytics reports (0009).
import { sql } from "drizzle-orm";
import { jsonb, pgTable, text, timestamp, uuid } from "drizzle-orm/pg-core";
import { createdAt, id } from "./columns.ts";

export const reportKinds = ["usage", "cost", "sla_compliance", "api_key_activity"] as const;
export type ReportKind = (typeof reportKinds)[number];
export const reportFormats = ["json", "csv"] as const;
export type ReportFormat = (typeof reportFormats)[number];

export const reports = pgTable("reports", {
  id: id(),
  customerId: uuid("customer_id").notNull(),
  kind: text("kind").notNull().$type<ReportKind>(),
  format: text("format").notNull().$type<ReportFormat>(),
  parameters: jsonb("parameters").notNull().$type<Record<string, unknown>>().default({}),
  status: text("status").notNull().$type<"pending" | "ready" | "failed">().default("pending"),
  content: text("content"),
  createdBy: text("created_by"),
  createdAt: createdAt(),
  completedAt: timestamp("completed_at", { withTimezone: true }),
  expiresAt: timestamp("expires_at", { withTimezone: true }).notNull().default(sql`now() + interval '30 days'`),
});
