// Managed AWS accounts (0006); app.reserve_managed_account() enforces the tier's max_accounts.
import { pgTable, text, timestamp, uuid } from "drizzle-orm/pg-core";
import { createdAt, id } from "./columns.ts";

export const accountEnvironments = ["production", "staging", "development", "sandbox", "security", "logging"] as const;
export type AccountEnvironment = (typeof accountEnvironments)[number];
export const accountStatuses = ["provisioning", "active", "suspended", "closed"] as const;
export type AccountStatus = (typeof accountStatuses)[number];

export const managedAccounts = pgTable("managed_accounts", {
  id: id(),
  customerId: uuid("customer_id").notNull(),
  name: text("name").notNull(),
  environment: text("environment").notNull().$type<AccountEnvironment>(),
  awsAccountId: text("aws_account_id"),
  status: text("status").notNull().$type<AccountStatus>().default("provisioning"),
  createdAt: createdAt(),
  closedAt: timestamp("closed_at", { withTimezone: true }),
});
