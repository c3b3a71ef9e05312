// Cost budgets and forecasts (0009), forecast models and budget alerts (0060).
import { sql } from "drizzle-orm";
import { date, integer, jsonb, numeric, pgTable, primaryKey, text, timestamp, unique, uuid } from "drizzle-orm/pg-core";
import { cents, createdAt, id } from "./columns.ts";

export const costBudgets = pgTable("cost_budgets", {
  id: id(),
  customerId: uuid("customer_id").notNull(),
  monthlyLimitCents: cents("monthly_limit_cents").notNull(),
  alertThresholds: integer("alert_thresholds").array().notNull().default([80, 100]),
  lastAlertedAt: timestamp("last_alerted_at", { withTimezone: true }),
  createdAt: createdAt(),
  updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
});

export const costForecasts = pgTable(
  "cost_forecasts",
  {
    customerId: uuid("customer_id").notNull(),
    month: date("month").notNull(),
    method: text("method").notNull(),
    forecastCents: cents("forecast_cents").notNull(),
    lowerCents: cents("lower_cents").notNull(),
    upperCents: cents("upper_cents").notNull(),
    confidence: numeric("confidence").notNull(),
    historyMonths: integer("history_months").notNull(),
    generatedAt: timestamp("generated_at", { withTimezone: true }).notNull().defaultNow(),
    expiresAt: timestamp("expires_at", { withTimezone: true }).notNull().default(sql`now() + interval '90 days'`),
    historyThrough: date("history_through"),
    // A JSON object whose shape the cost domain owns (its forecast model); the schema does not
    // import domain types (docs/architecture.md).
    model: jsonb("model").notNull().$type<object>().default({}),
  },
  (t) => [primaryKey({ columns: [t.customerId, t.month] })],
);

export const budgetAlertBases = ["actual", "forecast"] as const;
export type BudgetAlertBasis = (typeof budgetAlertBases)[number];

export const costBudgetAlerts = pgTable(
  "cost_budget_alerts",
  {
    id: id(),
    customerId: uuid("customer_id").notNull(),
    month: date("month").notNull(),
    thresholdPercent: integer("threshold_percent").notNull(),
    basis: text("basis").notNull().$type<BudgetAlertBasis>(),
    amountCents: cents("amount_cents").notNull(),
    budgetCents: cents("budget_cents").notNull(),
    eventId: uuid("event_id").notNull(),
    createdAt: createdAt(),
  },
  (t) => [unique().on(t.customerId, t.month, t.thresholdPercent)],
);
