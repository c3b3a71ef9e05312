// Cost budgets and forecasts (0009).
import { sql } from "drizzle-orm";
import { date, integer, numeric, pgTable, primaryKey, text, timestamp, uuid } from "drizzle-orm/pg-core";
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
  },
  (t) => [primaryKey({ columns: [t.customerId, t.month] })],
);
