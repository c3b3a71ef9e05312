// Payments, credit notes, provider events and credit balances (0130, docs/billing.md "Settlement").
import { bigint, integer, jsonb, pgTable, primaryKey, text, timestamp, uuid } from "drizzle-orm/pg-core";
import { cents, createdAt, id } from "./columns.ts";

export const paymentMethods = ["wire", "ach", "card", "check", "other"] as const;
export type PaymentMethod = (typeof paymentMethods)[number];

export const providerEvents = pgTable("provider_events", {
  id: text("id").primaryKey(),
  customerId: uuid("customer_id").notNull(),
  type: text("type").notNull(),
  payload: jsonb("payload").notNull(),
  receivedAt: timestamp("received_at", { withTimezone: true }).notNull().defaultNow(),
});

export const payments = pgTable("payments", {
  id: id(),
  customerId: uuid("customer_id").notNull(),
  invoiceId: uuid("invoice_id").notNull(),
  amountCents: cents("amount_cents").notNull(),
  method: text("method").notNull().$type<PaymentMethod>(),
  reference: text("reference"),
  receivedAt: timestamp("received_at", { withTimezone: true }).notNull(),
  source: text("source").notNull().$type<"staff" | "provider">(),
  providerEventId: text("provider_event_id"),
  createdAt: createdAt(),
});

export const creditNoteNumberSequences = pgTable("credit_note_number_sequences", {
  year: integer("year").primaryKey(),
  lastValue: bigint("last_value", { mode: "number" }).notNull().default(0),
});

export interface CreditNoteLine {
  line_id: string;
  description: string;
  amount_cents: number;
}

export const creditNotes = pgTable("credit_notes", {
  id: id(),
  customerId: uuid("customer_id").notNull(),
  invoiceId: uuid("invoice_id").notNull(),
  number: text("number").notNull(),
  reason: text("reason").notNull(),
  amountCents: cents("amount_cents").notNull(),
  appliedCents: cents("applied_cents").notNull(),
  toBalanceCents: cents("to_balance_cents").notNull(),
  lines: jsonb("lines").notNull().default([]).$type<CreditNoteLine[]>(),
  createdBy: text("created_by").notNull(),
  createdAt: createdAt(),
});

export const customerCreditBalances = pgTable("customer_credit_balances", {
  customerId: uuid("customer_id").primaryKey(),
  balanceCents: cents("balance_cents").notNull().default(0),
  updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
});

export const dunningStages = ["day_1", "day_7", "day_14", "day_30"] as const;
export type DunningStage = (typeof dunningStages)[number];

/** One row per invoice and dunning stage: the reminder (or day-30 mark) sent (0160). */
export const dunningReminders = pgTable(
  "dunning_reminders",
  {
    customerId: uuid("customer_id").notNull(),
    invoiceId: uuid("invoice_id").notNull(),
    stage: text("stage").notNull().$type<DunningStage>(),
    daysPastDue: integer("days_past_due").notNull(),
    sentAt: timestamp("sent_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.invoiceId, t.stage] })],
);
