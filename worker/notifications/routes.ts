// /v1/notifications: the caller's in-app notifications (unread filter, cursor), mark read /
// read-all, and per-user preferences (channel × event type; security mail is locked on).
import { OpenAPIHono, z } from "@hono/zod-openapi";
import { notificationCategories, notificationChannels } from "../../db/schema.ts";
import type { AppContext, AppEnv } from "../http/context.ts";
import { idParam, pageSchema, paginationQuerySchema, pageOf } from "../http/pagination.ts";
import { invalidField, notFound, ProblemError, problemResponses } from "../http/problem.ts";
import type { ApiTag } from "../http/openapi-tags.ts";
import { jsonResponse, secured } from "../http/routes.ts";
import { readAs, writeAs } from "../http/transactions.ts";
import { userNotificationTypes, type NotificationType } from "./catalogue.ts";
import {
  getPreferences,
  isLocked,
  listNotifications,
  markAllRead,
  markRead,
  setPreferences,
  type NotificationRow,
} from "./notifications.ts";

const tags: [ApiTag] = ["notifications"];
const typeEnum = z.enum(userNotificationTypes as [NotificationType, ...NotificationType[]]);

const notificationSchema = z
  .object({
    id: z.string().uuid(),
    object: z.literal("notification"),
    category: z.enum(notificationCategories).openapi({ example: "billing" }),
    event_type: z.string().openapi({ example: "invoice.created" }),
    title: z.string().openapi({ example: "Invoice SB-2026-0001: $1,234.00" }),
    body: z.string(),
    read_at: z.string().datetime({ offset: true }).nullable(),
    created_at: z.string().datetime({ offset: true }),
  })
  .openapi("Notification");

const preferenceSchema = z
  .object({
    event_type: typeEnum.openapi({ example: "invoice.created" }),
    channel: z.enum(notificationChannels).openapi({ example: "email" }),
    enabled: z.boolean(),
    locked: z.boolean().openapi({ description: "Security mail (API key revocations) cannot be switched off" }),
  })
  .openapi("NotificationPreference");
const preferencesSchema = z.object({ data: z.array(preferenceSchema) }).openapi("NotificationPreferences");
const putPreferencesSchema = z
  .strictObject({
    preferences: z
      .array(z.strictObject({ event_type: typeEnum, channel: z.enum(notificationChannels), enabled: z.boolean() }))
      .max(100)
      // One row per (event type, channel): a pair sent twice would be ambiguous (and Postgres
      // refuses to upsert the same row twice in one statement).
      .superRefine((preferences, ctx) => {
        const seen = new Set<string>();
        preferences.forEach((preference, index) => {
          const pair = `${preference.event_type}|${preference.channel}`;
          if (seen.has(pair)) {
            ctx.addIssue({
              code: "custom",
              path: [index],
              message: `${preference.event_type} by ${preference.channel} appears more than once`,
            });
          }
          seen.add(pair);
        });
      })
      .openapi({ example: [{ event_type: "invoice.created", channel: "email", enabled: false }] }),
  })
  .openapi("UpdateNotificationPreferencesRequest");

const toNotification = (row: NotificationRow): z.infer<typeof notificationSchema> => ({
  id: row.id,
  object: "notification",
  category: row.category,
  event_type: row.eventType,
  title: row.title,
  body: row.body,
  read_at: row.readAt?.toISOString() ?? null,
  created_at: row.createdAt.toISOString(),
});

const listRoute = secured("notifications:read", {
  method: "get",
  path: "/v1/notifications",
  operationId: "listNotifications",
  tags,
  summary: "Your in-app notifications, newest first",
  description: "Kept 30 days. An API key sees only customer-wide notifications (it has no user).",
  request: {
    query: paginationQuerySchema.extend({
      unread: z
        .enum(["true", "false"])
        .optional()
        .transform((v) => v === "true")
        .openapi({ param: { name: "unread", in: "query" }, description: "`true`: only unread", example: "true" }),
    }),
  },
  responses: {
    200: jsonResponse(pageSchema(notificationSchema, "NotificationList"), "A page of notifications"),
    ...problemResponses(400, 401, 403, 429),
  },
});

const readRoute = secured("notifications:write", {
  method: "post",
  path: "/v1/notifications/{id}/read",
  operationId: "readNotification",
  tags,
  summary: "Mark a notification read",
  description: "Marking a read notification again changes nothing.",
  request: { params: idParam },
  responses: {
    200: jsonResponse(notificationSchema, "The notification"),
    ...problemResponses(400, 401, 403, 404, 429),
  },
});

const readAllRoute = secured("notifications:write", {
  method: "post",
  path: "/v1/notifications/read-all",
  operationId: "readAllNotifications",
  tags,
  summary: "Mark all your notifications read",
  description: "Returns how many changed.",
  responses: {
    200: jsonResponse(z.object({ updated: z.number().int() }).openapi("ReadAllNotificationsResult"), "Count"),
    ...problemResponses(401, 403, 429),
  },
});

const getPreferencesRoute = secured("notifications:read", {
  method: "get",
  path: "/v1/notifications/preferences",
  operationId: "getNotificationPreferences",
  tags,
  summary: "Your notification preferences (every event type × channel)",
  description: "Needs a portal user (an API key has no preferences: 403).",
  responses: { 200: jsonResponse(preferencesSchema, "Preferences"), ...problemResponses(401, 403, 429) },
});

const putPreferencesRoute = secured("notifications:write", {
  method: "put",
  path: "/v1/notifications/preferences",
  operationId: "updateNotificationPreferences",
  tags,
  summary: "Change notification preferences",
  description: "Only the entries sent change. Locked entries (security mail) cannot be switched off (422).",
  request: { body: { content: { "application/json": { schema: putPreferencesSchema } }, required: true } },
  responses: { 200: jsonResponse(preferencesSchema, "Preferences"), ...problemResponses(401, 403, 422, 429) },
});

function userOf(c: AppContext): string {
  const userId = c.var.principal.userId;
  if (!userId)
    throw new ProblemError(
      403,
      "user-required",
      "Portal user required",
      "Notification preferences belong to a portal user; API keys have none.",
    );
  return userId;
}

export const notificationRoutes = new OpenAPIHono<AppEnv>()
  .openapi(listRoute, async (c) => {
    const query = c.req.valid("query");
    const { customerId, userId } = c.var.principal;
    const rows = await readAs(c, (db) => listNotifications(db, customerId, userId, query));
    return c.json(pageOf(rows, query.limit, toNotification), 200);
  })
  .openapi(getPreferencesRoute, async (c) => {
    const userId = userOf(c);
    const data = await readAs(c, (db) => getPreferences(db, c.var.principal.customerId, userId));
    return c.json({ data }, 200);
  })
  .openapi(putPreferencesRoute, async (c) => {
    const userId = userOf(c);
    const { preferences } = c.req.valid("json");
    preferences.forEach((p, i) => {
      if (!p.enabled && isLocked(p.event_type, p.channel)) {
        throw invalidField(
          `preferences.${i}.enabled`,
          "locked",
          `${p.event_type} ${p.channel} is security mail and cannot be switched off`,
        );
      }
    });
    const data = await writeAs(c, (db, audit) =>
      setPreferences(db, audit, c.var.principal.customerId, userId, preferences),
    );
    return c.json({ data }, 200);
  })
  .openapi(readAllRoute, async (c) => {
    const { customerId, userId } = c.var.principal;
    const updated = await writeAs(c, (db, audit) => markAllRead(db, audit, customerId, userId));
    return c.json({ updated }, 200);
  })
  .openapi(readRoute, async (c) => {
    const { id } = c.req.valid("param");
    const { customerId, userId } = c.var.principal;
    const row = await writeAs(c, (db, audit) => markRead(db, audit, customerId, userId, id));
    if (!row) throw notFound("notification", id);
    return c.json(toNotification(row), 200);
  });
