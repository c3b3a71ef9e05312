// Invoices (0002), usage metering, prices and billing runs (0007).
import {
  bigint,
  boolean,
  date,
  integer,
  jsonb,
  numeric,
  pgTable,
  primaryKey,
  text,
  timestamp,
  uuid,
} from "drizzle-orm/pg-core";
import { cents, createdAt, id } from "./columns.ts";
import type { TaxStatus } from "./tenants.ts";

export const invoiceStatuses = ["draft", "open", "paid", "void", "uncollectible"] as const;

export const invoices = pgTable("invoices", {
  id: id(),
  customerId: uuid("customer_id").notNull(),
  number: text("number").notNull(),
  status: text("status").notNull().$type<(typeof invoiceStatuses)[number]>(),
  currency: text("currency").notNull().default("usd"),
  periodStart: date("period_start").notNull(),
  periodEnd: date("period_end").notNull(),
  subtotalCents: cents("subtotal_cents").notNull(),
  discountCents: cents("discount_cents").notNull().default(0),
  taxCents: cents("tax_cents").notNull().default(0),
  totalCents: cents("total_cents").notNull(),
  issuedAt: timestamp("issued_at", { withTimezone: true }),
  dueAt: timestamp("due_at", { withTimezone: true }),
  paidAt: timestamp("paid_at", { withTimezone: true }),
  createdAt: createdAt(),
  // What applied at issue (0140, filled by a trigger): a later change of the customer never rewrites it.
  taxStatus: text("tax_status").$type<TaxStatus>(),
  taxNote: text("tax_note"),
  billingDetails: jsonb("billing_details").$type<InvoiceBillingDetails>(),
  // Settlement (0130): written only by the settlement functions.
  amountPaidCents: cents("amount_paid_cents").notNull().default(0),
  amountCreditedCents: cents("amount_credited_cents").notNull().default(0),
  balanceAppliedCents: cents("balance_applied_cents").notNull().default(0),
  voidedAt: timestamp("voided_at", { withTimezone: true }),
  markedUncollectibleAt: timestamp("marked_uncollectible_at", { withTimezone: true }),
  statusReason: text("status_reason"),
  /** total - paid - credited - balance applied (0 when void), kept by a trigger and a CHECK. */
  amountDueCents: cents("amount_due_cents").notNull().default(0),
});

/** The billed party as it stood when the invoice was issued (invoices.billing_details). */
export interface InvoiceBillingDetails {
  name: string;
  email: string;
  address_line1?: string;
  address_line2?: string;
  city?: string;
  region?: string;
  postal_code?: string;
  country?: string;
  tax_id?: string;
}

export const invoiceLineItems = pgTable("invoice_line_items", {
  id: id(),
  customerId: uuid("customer_id").notNull(),
  invoiceId: uuid("invoice_id").notNull(),
  kind: text("kind").notNull().$type<"base" | "usage" | "discount" | "tax">(),
  description: text("description").notNull(),
  quantity: numeric("quantity").notNull().default("1"),
  unit: text("unit"),
  unitAmountMicros: bigint("unit_amount_micros", { mode: "number" }),
  amountCents: cents("amount_cents").notNull(),
  createdAt: createdAt(),
  // Usage lines (0012): the metric and month they bill; adjustments bill an earlier month.
  metric: text("metric"),
  usageMonth: date("usage_month"),
  position: integer("position"),
});

export const rateCard = pgTable(
  "rate_card",
  {
    item: text("item").notNull(),
    description: text("description").notNull(),
    unit: text("unit").notNull(),
    unitPriceMicros: bigint("unit_price_micros", { mode: "number" }).notNull(),
    effectiveFrom: date("effective_from").notNull().default("2020-01-01"),
  },
  (t) => [primaryKey({ columns: [t.item, t.effectiveFrom] })],
);

export const volumeDiscountBands = pgTable(
  "volume_discount_bands",
  {
    fromSubtotalCents: cents("from_subtotal_cents").notNull(),
    discountBps: integer("discount_bps").notNull(),
    effectiveFrom: date("effective_from").notNull().default("2020-01-01"),
  },
  (t) => [primaryKey({ columns: [t.fromSubtotalCents, t.effectiveFrom] })],
);

export const usageEvents = pgTable("usage_events", {
  id: id(),
  customerId: uuid("customer_id").notNull(),
  eventId: text("event_id").notNull(),
  metric: text("metric").notNull(),
  quantity: numeric("quantity").notNull(),
  accountId: uuid("account_id"),
  occurredAt: timestamp("occurred_at", { withTimezone: true }).notNull(),
  receivedAt: timestamp("received_at", { withTimezone: true }).notNull().defaultNow(),
});

export const usageDaily = pgTable(
  "usage_daily",
  {
    customerId: uuid("customer_id").notNull(),
    metric: text("metric").notNull(),
    day: date("day").notNull(),
    quantity: numeric("quantity").notNull(),
    events: integer("events").notNull(),
    updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.customerId, t.metric, t.day] })],
);

export const usageMonthly = pgTable(
  "usage_monthly",
  {
    customerId: uuid("customer_id").notNull(),
    metric: text("metric").notNull(),
    month: date("month").notNull(),
    quantity: numeric("quantity").notNull(),
    events: integer("events").notNull(),
    updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.customerId, t.metric, t.month] })],
);

export const invoiceNumberSequences = pgTable("invoice_number_sequences", {
  year: integer("year").primaryKey(),
  lastValue: bigint("last_value", { mode: "number" }).notNull().default(0),
});

export const billingRunStatuses = ["running", "succeeded", "partial", "failed"] as const;

export const billingRuns = pgTable("billing_runs", {
  id: id(),
  periodStart: date("period_start").notNull(),
  status: text("status").notNull().$type<(typeof billingRunStatuses)[number]>(),
  dryRun: boolean("dry_run").notNull().default(false),
  customersBilled: integer("customers_billed").notNull().default(0),
  totalCents: cents("total_cents").notNull().default(0),
  error: text("error"),
  startedAt: timestamp("started_at", { withTimezone: true }).notNull().defaultNow(),
  finishedAt: timestamp("finished_at", { withTimezone: true }),
  // 0013: who started it, and the customers it could not invoice.
  trigger: text("trigger").notNull().default("manual").$type<"cron" | "manual">(),
  requestedBy: text("requested_by"),
  customersFailed: integer("customers_failed").notNull().default(0),
  errors: jsonb("errors").notNull().default([]).$type<{ customer_id: string; sqlstate: string; error: string }[]>(),
});

/** Every change of a customer's tier and when it took effect (0170; docs/billing.md, "Proration"). */
export const customerTierChanges = pgTable("customer_tier_changes", {
  id: id(),
  customerId: uuid("customer_id").notNull(),
  fromTier: text("from_tier").notNull(),
  toTier: text("to_tier").notNull(),
  effectiveAt: timestamp("effective_at", { withTimezone: true }).notNull().defaultNow(),
});
