// Second factors and the customer's sign-in policy (0110).
import { bigint, boolean, integer, pgTable, text, timestamp, uuid } from "drizzle-orm/pg-core";
import { bytea, createdAt, id } from "./columns.ts";

export const signInMethods = ["password", "passkey"] as const;
export type SignInMethod = (typeof signInMethods)[number];

export const userTotp = pgTable("user_totp", {
  id: id(),
  customerId: uuid("customer_id").notNull(),
  userId: uuid("user_id").notNull(),
  secretSealed: text("secret_sealed").notNull(),
  confirmedAt: timestamp("confirmed_at", { withTimezone: true }),
  lastUsedStep: bigint("last_used_step", { mode: "number" }).notNull().default(0),
  createdAt: createdAt(),
});

export const userRecoveryCodes = pgTable("user_recovery_codes", {
  id: id(),
  customerId: uuid("customer_id").notNull(),
  userId: uuid("user_id").notNull(),
  codeHash: bytea("code_hash").notNull(),
  createdAt: createdAt(),
  usedAt: timestamp("used_at", { withTimezone: true }),
});

export const customerSecurityPolicies = pgTable("customer_security_policies", {
  customerId: uuid("customer_id").primaryKey(),
  mfaRequired: boolean("mfa_required").notNull(),
  sessionLifetimeMinutes: integer("session_lifetime_minutes").notNull(),
  idleTimeoutMinutes: integer("idle_timeout_minutes").notNull(),
  allowedSignInMethods: text("allowed_sign_in_methods").array().notNull().$type<SignInMethod[]>(),
  updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
});
