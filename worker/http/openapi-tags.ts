// The document's tags, declared once with descriptions (SDK generators group methods by tag).
// Route declarations may only use these names: `secured()`/`open()` take `tags: ApiTag[]`.
export const apiTags = [
  { name: "health", description: "Liveness of the API and its dependencies." },
  {
    name: "auth",
    description: "Exchange an API key for a session token, log portal users in and out, and see who you are.",
  },
  { name: "sessions", description: "Portal user sessions: list, revoke and validate them." },
  {
    name: "api keys",
    description: "Create, list, rotate and revoke API keys. Secrets are shown once and stored hashed.",
  },
  { name: "users", description: "Portal users of your organization, their roles and the permission matrix." },
  { name: "invites", description: "Invite people to your organization; they accept with the emailed token." },
  {
    name: "invoices",
    description: "Your invoices with their line items, as JSON, a print-ready HTML document or CSV.",
  },
  {
    name: "usage",
    description:
      "Metered usage: platform-only ingest of billable events, your daily and monthly totals, and metrics with their cost so far.",
  },
  { name: "billing", description: "Your invoice preview for a month, and (staff) the monthly billing runs." },
  { name: "accounts", description: "Managed AWS accounts: create within your tier's limit, list, close." },
  { name: "cost", description: "Cost forecasts with prediction intervals, and a monthly budget that alerts." },
  {
    name: "analytics",
    description: "Reports on usage, cost, support SLAs and API keys over a period, as JSON or CSV.",
  },
  { name: "audit", description: "The tamper-evident audit trail of every change, and a readable activity feed." },
  {
    name: "webhooks",
    description:
      "Standard Webhooks endpoints, their delivery log and replay; every event payload is under the document's `webhooks`.",
  },
  {
    name: "notifications",
    description: "In-app notifications, and per-user preferences for in-app and email notifications.",
  },
  {
    name: "support",
    description: "Support tickets with SLA clocks (first response, resolution) and their conversation.",
  },
  {
    name: "customer",
    description: "Your organization: its data jurisdiction, exports of all its data, and closing the account.",
  },
  { name: "admin", description: "SecureBase staff only (super_admin): onboard customers, change tiers, suspend." },
] as const;

export type ApiTag = (typeof apiTags)[number]["name"];
