// Portal identity (0004): the role -> permission matrix, users, sessions and invites.
import { bigint, boolean, inet, pgTable, primaryKey, text, timestamp, uuid } from "drizzle-orm/pg-core";
import { bytea, createdAt, id } from "./columns.ts";

export const roles = ["admin", "billing", "support", "developer", "viewer"] as const;
export type Role = (typeof roles)[number];

export const rolePermissions = pgTable(
  "role_permissions",
  {
    role: text("role").notNull().$type<Role>(),
    permission: text("permission").notNull(),
  },
  (t) => [primaryKey({ columns: [t.role, t.permission] })],
);

export const users = pgTable("users", {
  id: id(),
  customerId: uuid("customer_id").notNull(),
  email: text("email").notNull(),
  name: text("name").notNull(),
  role: text("role").notNull().$type<Role>(),
  platformRole: text("platform_role").$type<"super_admin">(),
  status: text("status").notNull().$type<"active" | "deactivated">().default("active"),
  passwordHash: text("password_hash"),
  lastLoginAt: timestamp("last_login_at", { withTimezone: true }),
  createdAt: createdAt(),
  updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
});

export const userSessions = pgTable("user_sessions", {
  id: id(),
  customerId: uuid("customer_id").notNull(),
  userId: uuid("user_id").notNull(),
  ip: inet("ip"),
  userAgent: text("user_agent"),
  createdAt: createdAt(),
  lastSeenAt: timestamp("last_seen_at", { withTimezone: true }).notNull().defaultNow(),
  expiresAt: timestamp("expires_at", { withTimezone: true }).notNull(),
  revokedAt: timestamp("revoked_at", { withTimezone: true }),
});

export const userInvites = pgTable("user_invites", {
  id: id(),
  customerId: uuid("customer_id").notNull(),
  email: text("email").notNull(),
  role: text("role").notNull().$type<Role>(),
  tokenHash: bytea("token_hash").notNull(),
  invitedBy: uuid("invited_by"),
  expiresAt: timestamp("expires_at", { withTimezone: true }).notNull(),
  acceptedAt: timestamp("accepted_at", { withTimezone: true }),
  revokedAt: timestamp("revoked_at", { withTimezone: true }),
  createdAt: createdAt(),
});

export const passwordResets = pgTable("password_resets", {
  id: id(),
  customerId: uuid("customer_id").notNull(),
  userId: uuid("user_id").notNull(),
  tokenHash: bytea("token_hash").notNull(),
  createdAt: createdAt(),
  expiresAt: timestamp("expires_at", { withTimezone: true }).notNull(),
  usedAt: timestamp("used_at", { withTimezone: true }),
  voidedAt: timestamp("voided_at", { withTimezone: true }),
});

/** Ids of single-use sign-in tokens already used (0105); written only by app.use_token_once. */
export const usedTokens = pgTable("used_tokens", {
  jti: uuid("jti").primaryKey(),
  purpose: text("purpose").notNull(),
  expiresAt: timestamp("expires_at", { withTimezone: true }).notNull(),
  usedAt: timestamp("used_at", { withTimezone: true }).notNull().defaultNow(),
});

// Passkeys (0120): WebAuthn credentials of portal users.
export const userPasskeys = pgTable("user_passkeys", {
  id: id(),
  customerId: uuid("customer_id").notNull(),
  userId: uuid("user_id").notNull(),
  credentialId: bytea("credential_id").notNull(),
  publicKey: bytea("public_key").notNull(),
  counter: bigint("counter", { mode: "number" }).notNull().default(0),
  transports: text("transports").array().notNull().default([]),
  name: text("name").notNull(),
  backedUp: boolean("backed_up").notNull(),
  deviceType: text("device_type").notNull().$type<"singleDevice" | "multiDevice">(),
  createdAt: createdAt(),
  lastUsedAt: timestamp("last_used_at", { withTimezone: true }),
});
