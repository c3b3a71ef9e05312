// The navigation: each page and the permission needed to see it (null: any signed-in user).
// Staff pages need super_admin. portalc adds its pages here.
export interface NavItem {
  to: string;
  label: string;
  permission: string | null;
  staff?: boolean;
}

export const nav: NavItem[] = [
  { to: "/overview", label: "Overview", permission: "cost:read" },
  { to: "/invoices", label: "Invoices", permission: "invoices:read" },
  { to: "/usage", label: "Usage", permission: "usage:read" },
  { to: "/api-keys", label: "API keys", permission: "api_keys:read" },
  { to: "/team", label: "Team", permission: "users:read" },
  { to: "/security", label: "Security", permission: null },
  { to: "/webhooks", label: "Webhooks", permission: "webhooks:read" },
  { to: "/support", label: "Support", permission: "support:read" },
  { to: "/accounts", label: "Accounts", permission: "accounts:read" },
  { to: "/audit", label: "Audit", permission: "audit:read" },
  { to: "/staff/queue", label: "Staff", permission: null, staff: true },
  // paudit: the activity feed (GET /v1/activity needs only a signed-in caller).
  { to: "/activity", label: "Activity", permission: null },
];
