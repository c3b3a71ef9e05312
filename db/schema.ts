// Drizzle mirror of the SQL migrations (db/migrations is the source of truth; this gives the
// Worker typed queries). Keep the two in step: a test compares this schema with the catalog, in
// both directions, and fails on a public table that has no definition here.
// One file per domain under db/schema/; import from this file. app_private is not modelled.
export * from "./schema/tenants.ts";
export * from "./schema/identity.ts";
export * from "./schema/audit.ts";
export * from "./schema/accounts.ts";
export * from "./schema/billing.ts";
export * from "./schema/settlement.ts";
export * from "./schema/events.ts";
export * from "./schema/support.ts";
export * from "./schema/cost.ts";
export * from "./schema/reports.ts";
export * from "./schema/jobs.ts";
export * from "./schema/mfa.ts";
export * from "./schema/alerts.ts";
export * from "./schema/exports.ts";
export * from "./schema/platform-keys.ts";
export * from "./schema/email.ts";
