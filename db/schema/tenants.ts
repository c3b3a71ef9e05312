// Customers (tenants), tier limits and API keys (0002).
import { integer, pgTable, text, timestamp, uuid } from "drizzle-orm/pg-core";
import { bytea, cents, createdAt, id } from "./columns.ts";

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
  status: text("status").notNull().$type<"active" | "suspended" | "closed">().default("active"),
  taxRateBps: integer("tax_rate_bps").notNull().default(800),
  createdAt: createdAt(),
  // Billing details and tax status (0140, docs/billing.md "Tax"): the address the invoice is made
  // out to is the customer's; the tax status is set by staff only.
  billingName: text("billing_name"),
  billingEmail: text("billing_email"),
  billingAddressLine1: text("billing_address_line1"),
  billingAddressLine2: text("billing_address_line2"),
  billingCity: text("billing_city"),
  billingRegion: text("billing_region"),
  billingPostalCode: text("billing_postal_code"),
  billingCountry: text("billing_country"),
  billingTaxId: text("billing_tax_id"),
  taxStatus: text("tax_status").notNull().$type<TaxStatus>().default("taxable"),
  taxExemptCertificate: text("tax_exempt_certificate"),
  /** Days from issue to due date (0130). */
  paymentTermsDays: integer("payment_terms_days").notNull().default(30),
  /** Set by dunning 30 days past due, cleared when settled (0160, docs/billing.md "Dunning"). */
  pastDueSince: timestamp("past_due_since", { withTimezone: true }),
  /** Where its Durable Object state and R2 objects live (0200, docs/residency.md); fixed at onboarding. */
  dataJurisdiction: text("data_jurisdiction").notNull().$type<"us" | "eu" | "fedramp">().default("us"),
});

export const taxStatuses = ["taxable", "exempt", "reverse_charge"] as const;
export type TaxStatus = (typeof taxStatuses)[number];

export const apiKeys = pgTable("api_keys", {
  id: id(),
  customerId: uuid("customer_id").notNull(),
  name: text("name").notNull(),
  mode: text("mode").notNull().$type<"live" | "test">(),
  prefix: text("prefix").notNull(),
  keyHash: bytea("key_hash").notNull(),
  scopes: text("scopes").array().notNull().default([]),
  expiresAt: timestamp("expires_at", { withTimezone: true }),
  revokedAt: timestamp("revoked_at", { withTimezone: true }),
  lastUsedAt: timestamp("last_used_at", { withTimezone: true }),
  createdAt: createdAt(),
  createdByType: text("created_by_type").$type<"user" | "api_key" | "system" | "staff">(),
  createdById: text("created_by_id"),
  /** The user at the root of the created_by chain; set by a trigger (db/migrations/0090). */
  originUserId: uuid("origin_user_id"),
  rotatedFrom: uuid("rotated_from"),
  rotatedTo: uuid("rotated_to"),
});
