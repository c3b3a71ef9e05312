// Print documents of a billing record (invoice, credit note) as HTML and PDF, served one way:
// routed by a suffix pattern, the id checked, the same headers. Hono cannot route a suffix after
// a path parameter ("/:id.html" would name the parameter "id.html"), so the routes are declared
// for OpenAPI and routed with a pattern, before the JSON route that would take "<id>.html" as id.
import type { OpenAPIHono, RouteConfig } from "@hono/zod-openapi";
import type { MiddlewareHandler } from "hono";
import { every } from "hono/combine";
import type { AppContext, AppEnv } from "../http/context.ts";
import { idParam } from "../http/pagination.ts";
import { notFound, ProblemError } from "../http/problem.ts";

/** Headers for documents built from stored strings: no scripts, no sniffing, never cached by proxies. */
export const documentHeaders = {
  "content-security-policy": "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'",
  "x-content-type-options": "nosniff",
  "cache-control": "private, no-store",
};

type DocumentRoute = RouteConfig & { middleware: MiddlewareHandler<AppEnv>[] };

/** A record's renderings, and the number its PDF is downloaded as. */
export interface Renderable {
  number: string;
  html: () => string;
  pdf: () => Uint8Array;
}

/**
 * Routes `GET <collection>/{id}.html` and `.pdf` for `what` (e.g. "invoice"). `load` reads the
 * caller's record, or undefined (a 404 either way, whoever owns it).
 */
export function routeDocuments(
  app: OpenAPIHono<AppEnv>,
  collection: string,
  what: string,
  routes: { html: DocumentRoute; pdf: DocumentRoute },
  load: (c: AppContext, id: string) => Promise<Renderable | undefined>,
): void {
  for (const [suffix, route] of [
    [".html", routes.html],
    [".pdf", routes.pdf],
  ] as const) {
    const { middleware, ...operation } = route;
    app.openAPIRegistry.registerPath(operation);
    app.get(`${collection}/:id{[^/]+\\${suffix}}`, every(...middleware), async (c) => {
      const parsed = idParam.safeParse({ id: (c.req.param("id") ?? "").slice(0, -suffix.length) });
      if (!parsed.success) {
        throw new ProblemError(400, "validation-error", "Validation failed", `param.id must be ${what} id (a UUID).`, {
          errors: [{ field: "param.id", code: "invalid_format", message: "Invalid UUID" }],
        });
      }
      const { id } = parsed.data;
      const found = await load(c, id);
      if (!found) throw notFound(what.replace(/^an? /, ""), id);
      if (suffix === ".html") {
        return c.body(found.html(), 200, { "content-type": "text/html; charset=utf-8", ...documentHeaders });
      }
      return c.body(found.pdf().buffer as ArrayBuffer, 200, {
        "content-type": "application/pdf",
        "content-disposition": `attachment; filename="${found.number.replace(/[^A-Za-z0-9._-]/g, "_")}.pdf"`,
        ...documentHeaders,
      });
    });
  }
}
