// GET /v1/admin/alerts — SecureBase staff (super_admin): open and recent alert incidents
// (docs/operations.md, "Alerts"). Read through app.platform_alerts() (migration 0180): a definer
// owned by sb_status that refuses any context but super_admin, so the request role never reads
// the platform table itself.
import { OpenAPIHono, z } from "@hono/zod-openapi";
import { sql } from "drizzle-orm";
import type { AppEnv } from "../http/context.ts";
import { problemResponses } from "../http/problem.ts";
import { secured } from "../http/routes.ts";
import { readAs } from "../http/transactions.ts";
import type { Database } from "../platform/database.ts";
import { ALERT_RULES, type AlertRule, runbookUrl } from "./rules.ts";

const timestamp = z.string().datetime({ offset: true });

const incidentSchema = z
  .object({
    object: z.literal("alert_incident"),
    id: z.string().uuid().openapi({ example: "01938f6e-8c2a-7d11-9b7e-2f4c1a0d9e55" }),
    rule: z.enum(ALERT_RULES).openapi({ example: "cron_job_failed" }),
    key: z.string().openapi({ description: "What the rule found wrong (a job, a ticket id…)", example: "daily-cost" }),
    state: z.enum(["open", "resolved"]).openapi({ example: "open" }),
    summary: z.string().openapi({ example: "Cron job daily-cost failed (run started 2026-11-23T00:30:00.000Z)" }),
    opened_at: timestamp.openapi({ example: "2026-11-23T00:31:00.000Z" }),
    last_seen_at: timestamp.openapi({ example: "2026-11-23T00:45:00.000Z" }),
    resolved_at: timestamp.nullable().openapi({ example: null }),
    runbook: z.string().openapi({ example: "docs/runbooks.md#alert-cron_job_failed" }),
    details: z.record(z.string(), z.unknown()).openapi({ description: "The rule's figures when last seen" }),
  })
  .openapi("AlertIncident");

const listSchema = z.object({ object: z.literal("list"), data: z.array(incidentSchema) }).openapi("AlertIncidentList");

const alertsRoute = secured("super_admin", {
  method: "get",
  path: "/v1/admin/alerts",
  operationId: "listAlertIncidents",
  tags: ["admin"],
  summary: "Alert incidents: open and recent, newest first",
  description:
    "SecureBase staff only. One incident per alert rule and key: opened when the rule's condition starts to hold, " +
    "resolved when it clears (docs/operations.md, Alerts). Filter by `state`.",
  request: {
    query: z.object({
      state: z
        .enum(["open", "resolved", "all"])
        .default("all")
        .openapi({ param: { name: "state", in: "query" }, example: "open" }),
      limit: z.coerce
        .number()
        .int()
        .min(1)
        .max(200)
        .default(50)
        .openapi({ param: { name: "limit", in: "query" }, example: 50 }),
    }),
  },
  responses: {
    200: { description: "Incidents, newest first", content: { "application/json": { schema: listSchema } } },
    ...problemResponses(400, 401, 403, 429),
  },
});

interface IncidentJson {
  id: string;
  rule: AlertRule;
  key: string;
  opened_at: string;
  last_seen_at: string;
  resolved_at: string | null;
  details: Record<string, unknown>;
}

export async function listIncidents(db: Database, state: string, limit: number): Promise<IncidentJson[]> {
  const result = await db.execute<{ incidents: IncidentJson[] }>(
    sql`SELECT app.platform_alerts(${state}, ${limit}::integer) AS incidents`,
  );
  return result.rows[0]!.incidents;
}

const iso = (value: string) => new Date(value).toISOString();

export const alertRoutes = new OpenAPIHono<AppEnv>().openapi(alertsRoute, async (c) => {
  const { state, limit } = c.req.valid("query");
  const incidents = await readAs(c, (db) => listIncidents(db, state, limit));
  return c.json(
    {
      object: "list" as const,
      data: incidents.map((i) => ({
        object: "alert_incident" as const,
        id: i.id,
        rule: i.rule,
        key: i.key,
        state: i.resolved_at === null ? ("open" as const) : ("resolved" as const),
        summary: String(i.details.summary ?? ""),
        opened_at: iso(i.opened_at),
        last_seen_at: iso(i.last_seen_at),
        resolved_at: i.resolved_at === null ? null : iso(i.resolved_at),
        runbook: runbookUrl(i.rule),
        details: i.details,
      })),
    },
    200,
  );
});
