// Roles and permissions (docs/auth.md). The matrix mirrors the role_permissions table (migration
// 0004); a test keeps the two identical. Code reads this copy so authorization needs no query.
// There is no `usage:write`: billable usage is reported by the platform (super_admin), never by
// the customer it bills (migration 0012 removed it from role_permissions).
import type { Role } from "../../db/schema.ts";

export const permissions = [
  "invoices:read",
  "billing:read",
  "billing:write",
  "usage:read",
  "metrics:read",
  "api_keys:read",
  "api_keys:write",
  "users:read",
  "users:write",
  "sessions:read",
  "sessions:write",
  "audit:read",
  "support:read",
  "support:write",
  "webhooks:read",
  "webhooks:write",
  "notifications:read",
  "notifications:write",
  "cost:read",
  "cost:write",
  "accounts:read",
  "accounts:write",
  "reports:read",
  "security_policy:read",
  "security_policy:write",
] as const;
export type Permission = (typeof permissions)[number];

export const roleDescriptions: Record<Role, string> = {
  admin: "Everything in the customer's account, including users, keys and audit",
  billing: "Invoices, usage, cost and budgets",
  support: "Support tickets and account health",
  developer: "API keys, webhooks, usage and tickets",
  viewer: "Read-only access to billing, usage, accounts and tickets",
};

export const rolePermissions: Record<Role, readonly Permission[]> = {
  admin: permissions,
  billing: [
    "invoices:read",
    "billing:read",
    "billing:write",
    "usage:read",
    "metrics:read",
    "cost:read",
    "cost:write",
    "accounts:read",
    "notifications:read",
    "notifications:write",
    "reports:read",
    "support:read",
    "support:write",
  ],
  support: [
    "support:read",
    "support:write",
    "accounts:read",
    "metrics:read",
    "notifications:read",
    "notifications:write",
    "reports:read",
  ],
  developer: [
    "api_keys:read",
    "api_keys:write",
    "webhooks:read",
    "webhooks:write",
    "usage:read",
    "metrics:read",
    "accounts:read",
    "support:read",
    "support:write",
    "notifications:read",
    "notifications:write",
    "invoices:read",
  ],
  viewer: [
    "invoices:read",
    "billing:read",
    "usage:read",
    "metrics:read",
    "accounts:read",
    "support:read",
    "cost:read",
    "notifications:read",
    "reports:read",
  ],
};

export function isPermission(value: string): value is Permission {
  return (permissions as readonly string[]).includes(value);
}
