import { OpenAPIHono, z } from "@hono/zod-openapi";
import type { AppEnv } from "../http/context.ts";
import { open } from "../http/routes.ts";

const checkSchema = z.object({
  status: z.enum(["ok", "error"]),
  latency_ms: z.number().int(),
  error: z.string().optional(),
});

const healthSchema = z
  .object({
    status: z.enum(["ok", "degraded"]),
    checks: z.object({ postgres: checkSchema, kv: checkSchema }),
  })
  .openapi("Health");

const healthRoute = open({
  method: "get",
  path: "/health",
  operationId: "getHealth",
  tags: ["health"],
  summary: "Reachability of Postgres and KV",
  description:
    "Reports whether the API can reach Postgres and KV. Public and cheap: safe for load balancers and uptime checks.",
  responses: {
    200: { description: "Every dependency answered", content: { "application/json": { schema: healthSchema } } },
    503: { description: "A dependency failed", content: { "application/json": { schema: healthSchema } } },
  },
});

/** Health answers within this, whatever the dependencies do (load balancers give up at ~5 s). */
const CHECK_TIMEOUT_MS = 2_000;

const liveRoute = open({
  method: "get",
  path: "/health/live",
  operationId: "getLiveness",
  tags: ["health"],
  summary: "Liveness: the Worker answers",
  description:
    "Answers without touching any dependency: for liveness probes that must not fail during a database outage " +
    "(use `/health` for readiness). Also the bare baseline of `npm run bench`'s middleware-cost ratio.",
  responses: {
    200: {
      description: "The Worker runs",
      content: { "application/json": { schema: z.object({ status: z.literal("ok") }).openapi("Liveness") } },
    },
  },
});

async function check(probe: () => Promise<unknown>): Promise<z.infer<typeof checkSchema>> {
  const started = Date.now();
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new DOMException(`no answer within ${CHECK_TIMEOUT_MS} ms`, "TimeoutError")),
      CHECK_TIMEOUT_MS,
    );
  });
  try {
    await Promise.race([probe(), timeout]);
    return { status: "ok", latency_ms: Date.now() - started };
  } catch (error) {
    // The class of failure only: connection strings and hosts stay out of public responses.
    const name = error instanceof Error ? error.name : "Error";
    return { status: "error", latency_ms: Date.now() - started, error: name };
  } finally {
    clearTimeout(timer);
  }
}

export const healthRoutes = new OpenAPIHono<AppEnv>()
  .openapi(liveRoute, (c) => c.json({ status: "ok" as const }, 200))
  .openapi(healthRoute, async (c) => {
    const [postgres, kv] = await Promise.all([
      check(() => c.var.db.system("SELECT 1")),
      check(() => c.env.AUTH_CACHE.get("health:probe")),
    ]);
    const ok = postgres.status === "ok" && kv.status === "ok";
    return c.json({ status: ok ? ("ok" as const) : ("degraded" as const), checks: { postgres, kv } }, ok ? 200 : 503);
  });
