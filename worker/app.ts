// The HTTP application: middleware order, error shapes, the OpenAPI document, and the edge
// entry that builds each domain's routes on first use (worker/domains.ts says why).
import { OpenAPIHono } from "@hono/zod-openapi";
import { createMiddleware } from "hono/factory";
import { HTTPException } from "hono/http-exception";
import { requestId } from "hono/request-id";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import type { ZodError } from "zod";
import type { AppEnv } from "./http/context.ts";
import { getPath } from "hono/utils/url";
import { domainFor, domains, type RouteModule } from "./domains.ts";
import { apiTags } from "./http/openapi-tags.ts";
import { requestLog } from "./http/request-log.ts";
import { problem, ProblemError, type FieldError } from "./http/problem.ts";
import { RequestDatabase } from "./platform/database.ts";
import { databaseProblem } from "./http/database-problem.ts";
import { safeError } from "./platform/log-safe.ts";

/** The document's top level; `scripts/openapi.ts` writes the same document for linters and the client. */
export const documentConfig = {
  openapi: "3.1.0",
  info: {
    title: "SecureBase Edge API",
    version: "1.0.0",
    description:
      "Multi-tenant API of SecureBase. Errors are RFC 9457 problem documents; lists use cursor pagination. Where the " +
      "platform suspends for non-payment (DUNNING_SUSPEND_AT=past_due), a past-due customer's credentials get 402 " +
      "`account-past-due` on every route but the reads settling needs (invoices, credit notes, billing, /v1/me, " +
      "/v1/customer, notifications) and sign-in/out.",
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

/**
 * An application with the platform's middleware and error shapes around `modules`. The edge
 * entry builds one per domain; `createApp` one with every domain.
 */
export function createPlatformApp(modules: readonly RouteModule[]) {
  const app = new OpenAPIHono<AppEnv>({
    defaultHook: (result, c) => {
      if (result.success) return;
      // A body that parses but breaks the schema is 422; bad query/path/header values are 400.
      const status = result.target === "json" || result.target === "form" ? 422 : 400;
      return problem(
        c,
        status,
        "validation-error",
        "Validation failed",
        "One or more fields are invalid; see `errors`.",
        {
          errors: fieldErrors(result.error, result.target === "json" ? "body" : result.target),
        },
      );
    },
  });

  app.use(requestId({ headerName: "X-Request-Id" }));
  app.use(requestLog);
  app.use(database);
  for (const routes of modules) app.route("/", routes);

  app.notFound((c) =>
    problem(c, 404, "not-found", "Not found", `No route for ${c.req.method} ${new URL(c.req.url).pathname}.`),
  );
  app.onError((error, c) => {
    if (error instanceof ProblemError)
      return problem(c, error.status, error.slug, error.title, error.message, error.extra);
    if (error instanceof HTTPException) {
      const status = error.status as ContentfulStatusCode;
      return problem(
        c,
        status,
        status === 400 ? "bad-request" : "http-error",
        error.message || "Error",
        error.message || "The request failed.",
      );
    }
    const unavailable = databaseProblem(error);
    if (unavailable) {
      console.warn(`request ${c.get("requestId")}: database ${unavailable.slug}: ${safeError(error)}`);
      return problem(
        c,
        unavailable.status,
        unavailable.slug,
        unavailable.title,
        unavailable.message,
        unavailable.extra,
      );
    }
    console.error(`request ${c.get("requestId")} failed: ${safeError(error)}`);
    return problem(
      c,
      500,
      "internal-error",
      "Internal server error",
      "Something went wrong on our side. Quote the request id when you contact support.",
    );
  });
  return app;
}

/** Every domain's routes, the OpenAPI document at /openapi.json and the docs: the whole API. */
export async function createApp() {
  const app = createPlatformApp(await Promise.all(domains.map((domain) => domain.routes())));
  const { registerEventWebhooks } = await import("./events/openapi.ts");
  registerEventWebhooks(app.openAPIRegistry);
  app.openAPIRegistry.registerComponent("securitySchemes", "bearerAuth", {
    type: "http",
    scheme: "bearer",
    description: "An API key (`sb_live_…`/`sb_test_…`) or a session token from `POST /v1/auth/token`.",
  });
  app.doc31("/openapi.json", documentConfig);
  return app;
}

type App = ReturnType<typeof createPlatformApp>;

/**
 * The Worker's fetch handler: picks the domain by path, builds that domain's application on its
 * first request in this isolate (the promise is kept, so concurrent first requests build once)
 * and hands it the request. Paths no domain serves get the platform's 404 problem.
 */
export function createEdgeApp(): {
  fetch: (request: Request, env: AppEnv["Bindings"], ctx: ExecutionContext) => Promise<Response>;
} {
  const built = new Map<string, Promise<App>>();
  const build = (key: string, make: () => Promise<App>) => {
    let app = built.get(key);
    if (!app) built.set(key, (app = make()));
    return app;
  };
  return {
    async fetch(request, env, ctx) {
      // The path exactly as Hono's router will read it (percent-decoded), so both agree.
      const path = getPath(request);
      const domain = domainFor(path);
      const app = await (path === "/openapi.json"
        ? build("openapi", createApp)
        : domain
          ? build(domain.name, async () => createPlatformApp([await domain.routes()]))
          : build("none", async () => createPlatformApp([])));
      return app.fetch(request, env, ctx);
    },
  };
}
