// The HTTP application: middleware order, error shapes, OpenAPI document and docs.
import { OpenAPIHono } from "@hono/zod-openapi";
import { createMiddleware } from "hono/factory";
import { HTTPException } from "hono/http-exception";
import { requestId } from "hono/request-id";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import type { ZodError } from "zod";
import type { AppEnv } from "./env.ts";
import { accountRoutes } from "./accounts/routes.ts";
import { adminRoutes } from "./admin/routes.ts";
import { statusRoutes } from "./admin/status.ts";
import { apiKeyRoutes } from "./api-keys/routes.ts";
import { auditRoutes } from "./audit/routes.ts";
import { billingRoutes } from "./billing/routes.ts";
import { authRoutes } from "./auth/routes.ts";
import { sessionRoutes } from "./auth/session-routes.ts";
import { docsRoutes } from "./docs/routes.ts";
import { healthRoutes } from "./health/routes.ts";
import { apiTags } from "./http/openapi-tags.ts";
import { requestLog } from "./http/request-log.ts";
import { problem, ProblemError, type FieldError } from "./http/problem.ts";
import { invoiceRoutes } from "./invoices/routes.ts";
import { costRoutes } from "./cost/routes.ts";
import { analyticsRoutes } from "./analytics/routes.ts";
import { RequestDatabase } from "./platform/database.ts";
import { databaseProblem } from "./platform/database-errors.ts";
import { usageRoutes } from "./usage/routes.ts";
import { userRoutes } from "./users/routes.ts";
import { webhookRoutes } from "./webhooks/routes.ts";
import { notificationRoutes } from "./notifications/routes.ts";
import { registerEventWebhooks } from "./events/openapi.ts";
import { supportAdminRoutes } from "./support/admin-routes.ts";
import { supportRoutes } from "./support/routes.ts";

/** The document's top level; `scripts/openapi.ts` writes the same document for linters and the client. */
export const documentConfig = {
  openapi: "3.1.0",
  info: {
    title: "SecureBase Edge API",
    version: "1.0.0",
    description: "Multi-tenant API of SecureBase. Errors are RFC 9457 problem documents; lists use cursor pagination.",
    contact: { name: "SecureBase API support", email: "api-support@securebase.io", url: "https://docs.securebase.io" },
    license: { name: "Proprietary", url: "https://securebase.io/terms" },
  },
  servers: [{ url: "/" }],
  tags: apiTags.map((tag) => ({ ...tag })),
};

function fieldErrors(error: ZodError, target: string): FieldError[] {
  return error.issues.map((issue) => ({
    field: [target, ...issue.path.map(String)].join("."),
    code: issue.code,
    message: issue.message,
  }));
}

/** Opens the request's database lazily and always closes it after the response. */
const database = createMiddleware<AppEnv>(async (c, next) => {
  const db = new RequestDatabase(c.env);
  c.set("db", db);
  try {
    await next();
  } finally {
    c.executionCtx.waitUntil(db.close());
  }
});

export function createApp() {
  const app = new OpenAPIHono<AppEnv>({
    defaultHook: (result, c) => {
      if (result.success) return;
      // A body that parses but breaks the schema is 422; bad query/path/header values are 400.
      const status = result.target === "json" || result.target === "form" ? 422 : 400;
      return problem(c, status, "validation-error", "Validation failed", "One or more fields are invalid; see `errors`.", {
        errors: fieldErrors(result.error, result.target === "json" ? "body" : result.target),
      });
    },
  });

  app.use(requestId({ headerName: "X-Request-Id" }));
  app.use(requestLog);
  app.use(database);

  app.route("/", healthRoutes);
  app.route("/", authRoutes);
  app.route("/", sessionRoutes);
  app.route("/", apiKeyRoutes);
  app.route("/", userRoutes);
  app.route("/", adminRoutes);
  app.route("/", statusRoutes);
  app.route("/", auditRoutes);
  app.route("/", invoiceRoutes);
  app.route("/", usageRoutes);
  app.route("/", billingRoutes);
  app.route("/", accountRoutes);
  app.route("/", webhookRoutes);
  app.route("/", notificationRoutes);
  registerEventWebhooks(app.openAPIRegistry);
  app.route("/", costRoutes);
  app.route("/", analyticsRoutes);
  app.route("/", supportRoutes);
  app.route("/", supportAdminRoutes);

  app.openAPIRegistry.registerComponent("securitySchemes", "bearerAuth", {
    type: "http",
    scheme: "bearer",
    description: "An API key (`sb_live_…`/`sb_test_…`) or a session token from `POST /v1/auth/token`.",
  });
  app.doc31("/openapi.json", documentConfig);
  app.route("/", docsRoutes);

  app.notFound((c) => problem(c, 404, "not-found", "Not found", `No route for ${c.req.method} ${new URL(c.req.url).pathname}.`));
  app.onError((error, c) => {
    if (error instanceof ProblemError) return problem(c, error.status, error.slug, error.title, error.message, error.extra);
    if (error instanceof HTTPException) {
      const status = error.status as ContentfulStatusCode;
      return problem(c, status, status === 400 ? "bad-request" : "http-error", error.message || "Error", error.message || "The request failed.");
    }
    const unavailable = databaseProblem(error);
    if (unavailable) {
      console.warn(`request ${c.get("requestId")}: database ${unavailable.slug}: ${error instanceof Error ? error.message : error}`);
      return problem(c, unavailable.status, unavailable.slug, unavailable.title, unavailable.message, unavailable.extra);
    }
    console.error(`request ${c.get("requestId")} failed:`, error);
    return problem(c, 500, "internal-error", "Internal server error", "Something went wrong on our side. Quote the request id when you contact support.");
  });
  return app;
}
