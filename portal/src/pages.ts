// Every page: its path and its module, loaded on first visit (one chunk per page). `public` pages
// render without the signed-in frame. To add a page: docs/portal.md, "How to add a page".
export interface Page {
  path: string;
  load: () => Promise<{ default: () => React.ReactNode }>;
  public?: boolean;
}

export const pages: Page[] = [
  { path: "/sign-in", load: () => import("./pages/sign-in.tsx"), public: true },
  { path: "/accept-invite", load: () => import("./pages/accept-invite.tsx"), public: true },
  { path: "/reset-password", load: () => import("./pages/reset-password.tsx"), public: true },
  { path: "/enrol-mfa", load: () => import("./pages/enrol-mfa.tsx"), public: true },
  { path: "/overview", load: () => import("./pages/overview.tsx") },
  { path: "/api-keys", load: () => import("./pages/api-keys.tsx") },
  { path: "/team", load: () => import("./pages/team.tsx") },
  { path: "/security", load: () => import("./pages/security.tsx") },
  { path: "/webhooks", load: () => import("./pages/webhooks.tsx") },
  { path: "/webhooks/endpoints/$id", load: () => import("./pages/webhooks.tsx") },
  // portalc: billing, support and the staff console.
  { path: "/invoices", load: () => import("./pages/invoices.tsx") },
  { path: "/invoices/$id", load: () => import("./pages/invoice.tsx") },
  { path: "/invoices/$id/print", load: () => import("./pages/invoice-print.tsx") },
  { path: "/support", load: () => import("./pages/support.tsx") },
  { path: "/support/tickets/$id", load: () => import("./pages/ticket.tsx") },
  { path: "/staff/queue", load: () => import("./pages/staff-queue.tsx") },
  { path: "/staff/tickets/$id", load: () => import("./pages/staff-ticket.tsx") },
  // paudit: managed accounts, audit log, activity feed.
  { path: "/accounts", load: () => import("./pages/accounts.tsx") },
  { path: "/accounts/$id", load: () => import("./pages/account.tsx") },
  { path: "/audit", load: () => import("./pages/audit.tsx") },
  { path: "/audit/events/$id", load: () => import("./pages/audit-event.tsx") },
  { path: "/activity", load: () => import("./pages/activity.tsx") },
  // pusage: usage and notifications.
  { path: "/usage", load: () => import("./pages/usage.tsx") },
  { path: "/notifications", load: () => import("./pages/notifications.tsx") },
  // pstaff: the rest of the staff console.
  { path: "/staff/customers", load: () => import("./pages/staff-customers.tsx") },
  { path: "/staff/customers/$id", load: () => import("./pages/staff-customer.tsx") },
  { path: "/staff/billing-runs", load: () => import("./pages/staff-billing-runs.tsx") },
  { path: "/staff/status", load: () => import("./pages/staff-status.tsx") },
];
