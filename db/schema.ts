// Drizzle mirror of the SQL migrations (db/migrations is the source of truth; this gives the
// Worker typed queries). Keep the two in step: a test compares this schema with the catalog.
import { sql } from "drizzle-orm";
import {
  bigint,
  customType,
  date,
  integer,
  jsonb,
  numeric,
  pgTable,
  text,
  timestamp,
  uuid,
} from "drizzle-orm/pg-core";

const bytea = customType<{ data: Uint8Array; driverData: Uint8Array }>({ dataType: () => "bytea" });
const id = () => uuid("id").primaryKey().default(sql`app.uuid_v7()`);
const createdAt = () => timestamp("created_at", { withTimezone: true }).notNull().defaultNow();
const cents = (name: string) => bigint(name, { mode: "number" });

export const tierFeatures = pgTable("tier_features", {
  tier: text("tier").primaryKey().$type<Tier>(),
  maxAccounts: integer("max_accounts").notNull(),
  apiRateLimitPerMinute: integer("api_rate_limit_per_minute").notNull(),
  logRetentionDays: integer("log_retention_days").notNull(),
  basePriceCents: cents("base_price_cents").notNull(),
});

export const tiers = ["standard", "fintech", "healthcare", "gov_federal"] as const;
export type Tier = (typeof tiers)[number];

export const customers = pgTable("customers", {
  id: id(),
  name: text("name").notNull(),
  email: text("email").notNull(),
  tier: text("tier").notNull().$type<Tier>(),
  status: text("status").notNull().$type<"active" | "suspended" | "closed">(),
  taxRateBps: integer("tax_rate_bps").notNull(),
  createdAt: createdAt(),
});

export const apiKeys = pgTable("api_keys", {
  id: id(),
  customerId: uuid("customer_id").notNull(),
  name: text("name").notNull(),
  mode: text("mode").notNull().$type<"live" | "test">(),
  prefix: text("prefix").notNull(),
  keyHash: bytea("key_hash").notNull(),
  scopes: text("scopes").array().notNull(),
  expiresAt: timestamp("expires_at", { withTimezone: true }),
  revokedAt: timestamp("revoked_at", { withTimezone: true }),
  lastUsedAt: timestamp("last_used_at", { withTimezone: true }),
  createdAt: createdAt(),
});

export const invoiceStatuses = ["draft", "open", "paid", "void"] as const;

export const invoices = pgTable("invoices", {
  id: id(),
  customerId: uuid("customer_id").notNull(),
  number: text("number").notNull(),
  status: text("status").notNull().$type<(typeof invoiceStatuses)[number]>(),
  currency: text("currency").notNull(),
  periodStart: date("period_start").notNull(),
  periodEnd: date("period_end").notNull(),
  subtotalCents: cents("subtotal_cents").notNull(),
  discountCents: cents("discount_cents").notNull(),
  taxCents: cents("tax_cents").notNull(),
  totalCents: cents("total_cents").notNull(),
  issuedAt: timestamp("issued_at", { withTimezone: true }),
  dueAt: timestamp("due_at", { withTimezone: true }),
  paidAt: timestamp("paid_at", { withTimezone: true }),
  createdAt: createdAt(),
});

export const invoiceLineItems = pgTable("invoice_line_items", {
  id: id(),
  customerId: uuid("customer_id").notNull(),
  invoiceId: uuid("invoice_id").notNull(),
  kind: text("kind").notNull().$type<"base" | "usage" | "discount" | "tax">(),
  description: text("description").notNull(),
  quantity: numeric("quantity").notNull(),
  unit: text("unit"),
  unitAmountMicros: bigint("unit_amount_micros", { mode: "number" }),
  amountCents: cents("amount_cents").notNull(),
  createdAt: createdAt(),
});

export const jobRuns = pgTable("job_runs", {
  id: id(),
  job: text("job").notNull(),
  cron: text("cron"),
  status: text("status").notNull().$type<"running" | "succeeded" | "failed">(),
  detail: jsonb("detail").notNull().$type<Record<string, unknown>>(),
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
