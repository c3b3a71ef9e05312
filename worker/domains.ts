// Which domain serves which path, and building each domain's routes on first use.
//
// Why: building route schemas and their OpenAPI metadata (zod objects, `.openapi()` calls,
// `createRoute`) at module scope was ~80 % of the Worker's startup CPU — paid by every new
// isolate before its first request, for routes it may never serve. Each domain's routes module
// is imported with `import()`: the bundler (esbuild, no code splitting) keeps it in the one
// upload but evaluates it only when first imported, so an isolate builds the domains its
// requests reach, once each. The document needs every route, so /openapi.json builds them all.
//
// The table is keyed by the first path segments of the domain's routes. A route whose path this
// table does not send to its own module would answer 404: test/platform/lazy-routes.test.ts
// checks every route of the full application against `domainFor`.
import type { OpenAPIHono } from "@hono/zod-openapi";
import type { Hono } from "hono";
import type { AppEnv } from "./http/context.ts";

export type RouteModule = OpenAPIHono<AppEnv> | Hono<AppEnv>;

export interface Domain {
  name: string;
  /** Path prefixes, as whole segments: "/v1/admin/usage" serves /v1/admin/usage and below. */
  prefixes: readonly string[];
  routes: () => Promise<RouteModule>;
}

/** In the document's order: the full application mounts them in this order. */
export const domains: readonly Domain[] = [
  { name: "health", prefixes: ["/health"], routes: () => import("./health/routes.ts").then((m) => m.healthRoutes) },
  {
    name: "auth",
    prefixes: ["/v1/auth", "/v1/me", "/v1/security-policy"],
    routes: () => import("./auth/routes.ts").then((m) => m.authRoutes),
  },
  {
    name: "sessions",
    prefixes: ["/v1/sessions"],
    routes: () => import("./auth/session-routes.ts").then((m) => m.sessionRoutes),
  },
  {
    name: "api-keys",
    prefixes: ["/v1/api-keys"],
    routes: () => import("./api-keys/routes.ts").then((m) => m.apiKeyRoutes),
  },
  {
    name: "platform-keys",
    prefixes: ["/v1/admin/api-keys"],
    routes: () => import("./platform-keys/routes.ts").then((m) => m.platformKeyRoutes),
  },
  {
    name: "users",
    prefixes: ["/v1/users", "/v1/roles", "/v1/permissions", "/v1/invites"],
    routes: () => import("./users/routes.ts").then((m) => m.userRoutes),
  },
  {
    name: "admin",
    prefixes: ["/v1/admin/customers"],
    // Staff reads of a customer's invoices live with the settlement routes, under this prefix.
    routes: () =>
      Promise.all([
        import("./admin/routes.ts"),
        import("./invoices/settlement-routes.ts"),
        import("./customers/routes.ts"),
        import("./audit/legal-hold-routes.ts"),
        import("@hono/zod-openapi"),
      ]).then(([admin, settlement, closure, legalHold, { OpenAPIHono }]) =>
        new OpenAPIHono<AppEnv>()
          .route("/", admin.adminRoutes)
          .route("/", settlement.staffInvoiceRoutes)
          .route("/", closure.staffClosureRoutes)
          .route("/", legalHold.legalHoldRoutes),
      ),
  },
  {
    name: "customer",
    prefixes: ["/v1/customer", "/v1/exports"],
    routes: () =>
      Promise.all([
        import("./customers/routes.ts"),
        import("./customers/export-routes.ts"),
        import("@hono/zod-openapi"),
      ]).then(([customer, exports, { OpenAPIHono }]) =>
        new OpenAPIHono<AppEnv>().route("/", customer.customerRoutes).route("/", exports.exportRoutes),
      ),
  },
  {
    name: "status",
    prefixes: ["/v1/admin/status"],
    routes: () => import("./admin/status.ts").then((m) => m.statusRoutes),
  },
  {
    name: "alerts",
    prefixes: ["/v1/admin/alerts"],
    routes: () => import("./operations/routes.ts").then((m) => m.alertRoutes),
  },
  {
    name: "audit",
    prefixes: ["/v1/audit-events", "/v1/activity"],
    routes: () => import("./audit/routes.ts").then((m) => m.auditRoutes),
  },
  {
    name: "invoices",
    prefixes: ["/v1/invoices", "/v1/invoices.csv"],
    routes: () => import("./invoices/routes.ts").then((m) => m.invoiceRoutes),
  },
  {
    name: "invoice-settlement",
    prefixes: ["/v1/admin/invoices"],
    routes: () => import("./invoices/settlement-routes.ts").then((m) => m.settlementRoutes),
  },
  {
    name: "credit-notes",
    prefixes: ["/v1/credit-notes"],
    routes: () => import("./invoices/credit-note-routes.ts").then((m) => m.creditNoteRoutes),
  },
  {
    name: "payments",
    prefixes: ["/v1/payments"],
    routes: () => import("./payments/routes.ts").then((m) => m.paymentRoutes),
  },
  {
    name: "usage",
    prefixes: ["/v1/admin/usage", "/v1/usage", "/v1/metrics"],
    routes: () => import("./usage/routes.ts").then((m) => m.usageRoutes),
  },
  {
    name: "billing",
    prefixes: ["/v1/billing", "/v1/admin/billing-runs"],
    routes: () => import("./billing/routes.ts").then((m) => m.billingRoutes),
  },
  {
    name: "accounts",
    prefixes: ["/v1/accounts"],
    routes: () => import("./accounts/routes.ts").then((m) => m.accountRoutes),
  },
  {
    name: "webhooks",
    prefixes: ["/v1/webhooks"],
    routes: () => import("./webhooks/routes.ts").then((m) => m.webhookRoutes),
  },
  {
    name: "notifications",
    prefixes: ["/v1/notifications"],
    routes: () => import("./notifications/routes.ts").then((m) => m.notificationRoutes),
  },
  { name: "cost", prefixes: ["/v1/cost"], routes: () => import("./cost/routes.ts").then((m) => m.costRoutes) },
  {
    name: "analytics",
    prefixes: ["/v1/analytics"],
    routes: () => import("./analytics/routes.ts").then((m) => m.analyticsRoutes),
  },
  {
    name: "support",
    prefixes: ["/v1/support"],
    routes: () => import("./support/routes.ts").then((m) => m.supportRoutes),
  },
  {
    name: "support-admin",
    prefixes: ["/v1/admin/support"],
    routes: () => import("./support/admin-routes.ts").then((m) => m.supportAdminRoutes),
  },
  {
    name: "email",
    prefixes: ["/v1/email"],
    routes: () => import("./email/routes.ts").then((m) => m.sesNotificationRoutes),
  },
  {
    name: "email-suppressions",
    prefixes: ["/v1/admin/email-suppressions"],
    routes: () => import("./email/suppression-routes.ts").then((m) => m.suppressionRoutes),
  },
  { name: "docs", prefixes: ["/docs"], routes: () => import("./docs/routes.ts").then((m) => m.docsRoutes) },
];

const byPrefix = new Map<string, Domain>(
  domains.flatMap((domain) => domain.prefixes.map((prefix) => [prefix, domain] as const)),
);
const longestPrefix = Math.max(...[...byPrefix.keys()].map((prefix) => prefix.split("/").length - 1));

/** The domain whose routes can match `path` (as Hono reads it: decoded), or undefined (→ 404). */
export function domainFor(path: string): Domain | undefined {
  const segments = path.split("/");
  // segments[0] is "" (paths start with "/"); try the longest prefix first.
  for (let count = Math.min(longestPrefix, segments.length - 1); count >= 1; count--) {
    const domain = byPrefix.get(segments.slice(0, count + 1).join("/"));
    if (domain) return domain;
  }
  return undefined;
}
