// GET /v1/admin/alerts and POST /v1/admin/alerts/{id}/acknowledge — SecureBase staff
// (super_admin): open and recent alert incidents, and taking one (docs/operations.md, "Alerts").
// Read through app.platform_alerts() (migration 0180, 0250): a definer owned by sb_status that
// refuses any context but super_admin, so the request role never reads the platform table itself.
import { OpenAPIHono, z } from "@hono/zod-openapi";
import type { AppEnv } from "../http/context.ts";
import { text } from "../http/input.ts";
import { idParam } from "../http/pagination.ts";
import { problemResponses } from "../http/problem.ts";
import { secured } from "../http/routes.ts";
import { readAs, writeAs } from "../http/transactions.ts";
import { acknowledgeIncident } from "./acknowledge.ts";
import { ALERT_STATES, incidentJson, incidentSchema, listIncidents } from "./incidents.ts";

const listSchema = z.object({ object: z.literal("list"), data: z.array(incidentSchema) }).openapi("AlertIncidentList");

const alertsRoute = secured("super_admin", {
  method: "get",
  path: "/v1/admin/alerts",
  operationId: "listAlertIncidents",
  tags: ["admin"],
  summary: "Alert incidents: open and recent, newest first",
  description:
    "SecureBase staff only. One incident per alert rule and key: opened when the rule's condition starts to hold, " +
    "resolved when it clears (docs/operations.md, Alerts). Filter by `state`: `open` (not yet acknowledged), " +
    "`acknowledged` (open, taken by a staff member), `resolved`, or `all`.",
  request: {
    query: z.object({
      state: z
        .enum([...ALERT_STATES, "all"])
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

const acknowledgeBody = z
  .strictObject({
    note: text({ min: 1, max: 500 })
      .optional()
      .openapi({ example: "Looking at it: the disk on the billing worker is full" }),
  })
  .openapi("AlertAcknowledgement");

const acknowledgeRoute = secured("super_admin", {
  method: "post",
  path: "/v1/admin/alerts/{id}/acknowledge",
  operationId: "acknowledgeAlertIncident",
  tags: ["admin"],
  summary: "Acknowledge an open alert incident (SecureBase staff)",
  description:
    "Records who took the incident and when, with an optional note (at most 500 characters); it then shows as " +
    "`acknowledged` in the list. The incident stays open until its rule clears, and the resolve message still " +
    "goes out. Audited as `alert.acknowledged`. A resolved or already acknowledged incident answers 409.",
  request: {
    params: idParam,
    body: { content: { "application/json": { schema: acknowledgeBody } }, required: false },
  },
  responses: {
    200: { description: "The acknowledged incident", content: { "application/json": { schema: incidentSchema } } },
    ...problemResponses(400, 401, 403, 404, 409, 422, 429),
  },
});

export const alertRoutes = new OpenAPIHono<AppEnv>()
  .openapi(alertsRoute, async (c) => {
    const { state, limit } = c.req.valid("query");
    const incidents = await readAs(c, (db) => listIncidents(db, state, limit));
    return c.json({ object: "list" as const, data: incidents.map(incidentJson) }, 200);
  })
  .openapi(acknowledgeRoute, async (c) => {
    const { id } = c.req.valid("param");
    const note = c.req.valid("json")?.note ?? null;
    const incident = await writeAs(c, (db, audit) => acknowledgeIncident(db, audit, id, note));
    return c.json(incidentJson(incident), 200);
  });
