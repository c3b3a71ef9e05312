// The audit trail and the activity feed (docs/data-model.md, "Audit"). Audit events carry the
// whole record (request id, ip, user agent, data, chain hashes) and need `audit:read`; the
// activity feed is the readable summary any caller of the customer may see.
import { OpenAPIHono, z } from "@hono/zod-openapi";
import { auditActorTypes } from "../../db/schema.ts";
import type { AppEnv } from "../http/context.ts";
import { idParam, pageSchema, paginationQuerySchema, pageOf } from "../http/pagination.ts";
import { notFound, problemResponses } from "../http/problem.ts";
import { secured } from "../http/routes.ts";
import { readAs } from "../http/transactions.ts";
import { toHex as hex } from "../platform/encoding.ts";
import {
  getAuditEvent,
  listActivity,
  listAuditEvents,
  verifyAuditChain,
  type ActivityRow,
  type AuditEventRow,
} from "./audit-events.ts";
import { text } from "../http/input.ts";
import { auditArchiveRoutes } from "./archive-routes.ts";

const actorSchema = z
  .object({
    type: z.enum(auditActorTypes).openapi({ example: "user" }),
    id: z.string().nullable().openapi({
      description: "User id, API key id or staff user id",
      example: "0197a5c2-41d0-7c3e-8a11-2b3c4d5e6f70",
    }),
  })
  .openapi("AuditActor");

const resourceSchema = z
  .object({
    type: z.string().openapi({ example: "user_session" }),
    id: z.string().nullable().openapi({ example: "0197a5c2-4a7b-7e01-9f3d-6a5b4c3d2e1f" }),
  })
  .openapi("AuditResource");

const hash = (description: string) =>
  z
    .string()
    .regex(/^[0-9a-f]{64}$/)
    .openapi({ description, example: "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08" });

const auditEventSchema = z
  .object({
    id: z.string().uuid(),
    object: z.literal("audit_event"),
    seq: z.number().int().openapi({ description: "Position in the customer's hash chain, from 1", example: 42 }),
    occurred_at: z
      .string()
      .datetime({ offset: true })
      .openapi({ description: "Exact time, microseconds, UTC", example: "2026-10-01T09:30:12.345678Z" }),
    actor: actorSchema,
    action: z.string().openapi({ example: "user.logged_in" }),
    resource: resourceSchema,
    request_id: z.string().nullable().openapi({ description: "The X-Request-Id of the request that made the change" }),
    ip: z.string().nullable().openapi({ example: "203.0.113.7" }),
    user_agent: z.string().nullable().openapi({ example: "Mozilla/5.0" }),
    summary: z.string().openapi({ example: "ada@acme-health.example logged in" }),
    data: z.record(z.string(), z.unknown()),
    prev_hash: hash("SHA-256 of the previous event in the chain (zeros for the first), hex"),
    hash: hash("SHA-256 of this event's canonical form and prev_hash, hex"),
  })
  .openapi("AuditEvent");

const verificationSchema = z
  .object({
    valid: z.boolean().openapi({ example: true }),
    checked: z.number().int().openapi({ description: "How many events were checked", example: 1280 }),
    first_broken: z
      .object({
        seq: z.number().int().openapi({ example: 17 }),
        id: z.string().uuid(),
        reason: z.string().openapi({ example: "hash does not match the event content" }),
      })
      .nullable()
      .openapi({ description: "The first event whose link is broken; null when the chain is valid" }),
  })
  .openapi("AuditChainVerification");

const activitySchema = z
  .object({
    id: z.string().uuid(),
    object: z.literal("activity"),
    occurred_at: z.string().datetime({ offset: true }).openapi({ example: "2026-10-01T09:30:12.345678Z" }),
    action: z.string().openapi({ example: "user_session.revoked" }),
    summary: z.string().openapi({ example: "Session 0197a5c2-4a7b-7e01-9f3d-6a5b4c3d2e1f revoked" }),
    actor: actorSchema,
    resource: resourceSchema,
  })
  .openapi("Activity");

const queryText = (name: string, example: string, description: string) =>
  text({ min: 1, max: 200, trim: false })
    .optional()
    .openapi({ param: { name, in: "query" }, example, description });
const queryTime = (name: string, description: string) =>
  z
    .string()
    .datetime({ offset: true })
    .optional()
    .openapi({ param: { name, in: "query" }, example: "2026-10-01T00:00:00Z", description });

const listRoute = secured("audit:read", {
  method: "get",
  path: "/v1/audit-events",
  operationId: "listAuditEvents",
  tags: ["audit"],
  summary: "List the customer's audit events, newest first",
  description:
    "The customer's audit trail, newest first: who changed what, from which IP and request. Filters combine with AND.",
  request: {
    query: paginationQuerySchema.extend({
      action: queryText("action", "user.logged_in", "Only this action"),
      resource_type: queryText("resource_type", "user_session", "Only events about this kind of resource"),
      resource_id: queryText("resource_id", "0197a5c2-4a7b-7e01-9f3d-6a5b4c3d2e1f", "Only events about this resource"),
      actor_type: z
        .enum(auditActorTypes)
        .optional()
        .openapi({ param: { name: "actor_type", in: "query" }, example: "user" }),
      actor_id: queryText(
        "actor_id",
        "0197a5c2-41d0-7c3e-8a11-2b3c4d5e6f70",
        "Only events by this user, key or staff member",
      ),
      occurred_after: queryTime("occurred_after", "Only events strictly after this time (ISO 8601)"),
      occurred_before: queryTime("occurred_before", "Only events strictly before this time (ISO 8601)"),
    }),
  },
  responses: {
    200: {
      description: "A page of audit events",
      content: { "application/json": { schema: pageSchema(auditEventSchema, "AuditEventList") } },
    },
    ...problemResponses(400, 401, 403, 429),
  },
});

const verifyRoute = secured("audit:read", {
  method: "get",
  path: "/v1/audit-events/verify",
  operationId: "verifyAuditChain",
  tags: ["audit"],
  summary: "Verify the customer's audit hash chain end to end",
  description:
    "Postgres recomputes every event's hash from its content and the previous hash, in sequence order, and names " +
    "the first event that does not match (edited, removed or reordered).",
  responses: {
    200: {
      description: "The verdict; a broken chain is not an error",
      content: { "application/json": { schema: verificationSchema } },
    },
    ...problemResponses(401, 403, 429),
  },
});

const getRoute = secured("audit:read", {
  method: "get",
  path: "/v1/audit-events/{id}",
  operationId: "getAuditEvent",
  tags: ["audit"],
  summary: "Retrieve one audit event",
  description: "One audit event with its data and its place in the hash chain.",
  request: { params: idParam },
  responses: {
    200: { description: "The audit event", content: { "application/json": { schema: auditEventSchema } } },
    ...problemResponses(400, 401, 403, 404, 429),
  },
});

const activityRoute = secured("authenticated", {
  method: "get",
  path: "/v1/activity",
  operationId: "listActivity",
  tags: ["audit"],
  summary: "The customer's activity feed, newest first (any user or key of the customer)",
  description:
    "A readable feed of recent changes in the customer's account, newest first (built from the audit trail).",
  request: { query: paginationQuerySchema },
  responses: {
    200: {
      description: "A page of activity",
      content: { "application/json": { schema: pageSchema(activitySchema, "ActivityList") } },
    },
    ...problemResponses(400, 401, 429),
  },
});

function toAuditEvent(row: AuditEventRow): z.infer<typeof auditEventSchema> {
  return {
    id: row.id,
    object: "audit_event",
    seq: row.seq,
    occurred_at: row.occurredAt,
    actor: { type: row.actorType, id: row.actorId },
    action: row.action,
    resource: { type: row.resourceType, id: row.resourceId },
    request_id: row.requestId,
    ip: row.ip,
    user_agent: row.userAgent,
    summary: row.summary,
    data: row.data,
    prev_hash: hex(row.prevHash),
    hash: hex(row.hash),
  };
}

function toActivity(row: ActivityRow): z.infer<typeof activitySchema> {
  return {
    id: row.id,
    object: "activity",
    occurred_at: row.occurredAt,
    action: row.action,
    summary: row.summary,
    actor: { type: row.actorType, id: row.actorId },
    resource: { type: row.resourceType, id: row.resourceId },
  };
}

export const auditRoutes = new OpenAPIHono<AppEnv>()
  // First: /v1/audit-events/export must never be taken for an id.
  .route("/", auditArchiveRoutes)
  .openapi(listRoute, async (c) => {
    const query = c.req.valid("query");
    const { customerId } = c.var.principal;
    const rows = await readAs(c, (db) => listAuditEvents(db, customerId, query));
    return c.json(pageOf(rows, query.limit, toAuditEvent), 200);
  })
  // Declared before /{id}, so "verify" is never taken for an id.
  .openapi(verifyRoute, async (c) => {
    return c.json(await readAs(c, verifyAuditChain), 200);
  })
  .openapi(getRoute, async (c) => {
    const { id } = c.req.valid("param");
    const { customerId } = c.var.principal;
    const row = await readAs(c, (db) => getAuditEvent(db, customerId, id));
    if (!row) throw notFound("audit event", id);
    return c.json(toAuditEvent(row), 200);
  })
  .openapi(activityRoute, async (c) => {
    const query = c.req.valid("query");
    const { customerId } = c.var.principal;
    const rows = await readAs(c, (db) => listActivity(db, customerId, query));
    return c.json(pageOf(rows, query.limit, toActivity), 200);
  });
