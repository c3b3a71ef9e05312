// Customer data exports and closures (0200, docs/exports-closure.md).
import { integer, jsonb, pgTable, text, timestamp, uuid } from "drizzle-orm/pg-core";
import { createdAt, id } from "./columns.ts";

export const dataJurisdictionValues = ["us", "eu", "fedramp"] as const;

/** One exported table: its object key, row count and the object's SHA-256 (hex). */
export interface ExportedTable {
  key: string;
  rows: number;
  bytes: number;
  sha256: string;
}

/** A resumable R2 object: the multipart upload so far; bytes past the last part wait in a carry object. */
export interface WriterState {
  key: string;
  uploadId: string | null;
  parts: { partNumber: number; etag: string }[];
  bytes: number;
  carryKey: string | null;
  carryBytes: number;
}

/** Where an export stopped inside a table: the last exported key and the object written so far. */
export interface ExportProgress {
  table: string;
  after: string[];
  rows: number;
  writer: WriterState;
}

export const customerExports = pgTable("customer_exports", {
  id: id(),
  customerId: uuid("customer_id").notNull(),
  requestedBy: uuid("requested_by"),
  status: text("status").notNull().$type<"pending" | "running" | "succeeded" | "failed">().default("pending"),
  jurisdiction: text("jurisdiction").notNull().$type<(typeof dataJurisdictionValues)[number]>(),
  doneTables: jsonb("done_tables").notNull().$type<Record<string, ExportedTable>>().default({}),
  manifest: jsonb("manifest").$type<Record<string, unknown>>(),
  error: text("error"),
  createdAt: createdAt(),
  completedAt: timestamp("completed_at", { withTimezone: true }),
  expiresAt: timestamp("expires_at", { withTimezone: true }),
  // 0240: the queue-driven slices (worker/customers/export-slices.ts).
  progress: jsonb("progress").$type<ExportProgress>(),
  step: integer("step").notNull().default(0),
  leaseUntil: timestamp("lease_until", { withTimezone: true }),
  updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
});

export const customerClosures = pgTable("customer_closures", {
  id: id(),
  customerId: uuid("customer_id").notNull(),
  requestedBy: text("requested_by").notNull(),
  steps: jsonb("steps").notNull().$type<Record<string, string>>().default({}),
  finalInvoiceId: uuid("final_invoice_id"),
  graceUntil: timestamp("grace_until", { withTimezone: true }).notNull(),
  createdAt: createdAt(),
  completedAt: timestamp("completed_at", { withTimezone: true }),
  purgedAt: timestamp("purged_at", { withTimezone: true }),
});
