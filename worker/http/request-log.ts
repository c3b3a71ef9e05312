// One structured JSON line per request, for Workers Logs (which indexes JSON fields): request id,
// customer, route pattern (not the raw path: ids stay out of the route dimension), method,
// status and duration. Written after the response is formed, including problems and 500s.
import { createMiddleware } from "hono/factory";
import { routePath } from "hono/route";
import type { AppEnv } from "./context.ts";
import { countRequest } from "../platform/request-count.ts";

export interface RequestLogLine {
  message: "request";
  request_id: string;
  method: string;
  route: string | null;
  status: number;
  duration_ms: number;
  customer_id: string | null;
  principal: string | null;
}

export const requestLog = createMiddleware<AppEnv>(async (c, next) => {
  const started = Date.now();
  try {
    await next();
  } finally {
    // After next(), the route index is the route that answered (hono/route).
    const route = routePath(c);
    const principal = c.get("principal");
    const line: RequestLogLine = {
      message: "request",
      request_id: c.get("requestId"),
      method: c.req.method,
      route: route === "*" || route === "/*" ? null : route,
      status: c.res.status,
      duration_ms: Date.now() - started,
      customer_id: principal?.customerId ?? null,
      principal: principal ? principal.kind : null,
    };
    console.log(JSON.stringify(line));
    // The error-rate alert's counts: one Durable Object call per request, after the response.
    let ctx: Pick<ExecutionContext, "waitUntil"> | undefined;
    try {
      ctx = c.executionCtx;
    } catch {
      ctx = undefined; // app.request() in a unit test has no execution context: nothing to count into
    }
    if (ctx) countRequest(c.env, ctx, line.status);
  }
});
