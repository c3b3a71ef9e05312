// Platform API keys (0210): SecureBase's own machine credentials (docs/auth.md, "Platform keys").
import { pgTable, text, timestamp, uuid } from "drizzle-orm/pg-core";
import { bytea, createdAt, id } from "./columns.ts";

export const platformScopes = ["usage:ingest"] as const;
export type PlatformScope = (typeof platformScopes)[number];

export const platformApiKeys = pgTable("platform_api_keys", {
  id: id(),
  name: text("name").notNull(),
  prefix: text("prefix").notNull(),
  keyHash: bytea("key_hash").notNull(),
  scopes: text("scopes").array().notNull().$type<PlatformScope[]>(),
  /** The creating staff member's customer: where the key's audit events are filed. */
  homeCustomerId: uuid("home_customer_id").notNull(),
  createdBy: uuid("created_by").notNull(),
  createdAt: createdAt(),
  revokedAt: timestamp("revoked_at", { withTimezone: true }),
  revokedBy: uuid("revoked_by"),
});
