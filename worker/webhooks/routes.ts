// /v1/webhooks: endpoints (CRUD, enable/disable, rotate-secret, test), the delivery log, retry
// and recover. Thin: validate, authorize, call ./endpoints.ts or ./deliveries.ts, shape.
import { OpenAPIHono, type z } from "@hono/zod-openapi";
import type { AppContext, AppEnv } from "../http/context.ts";
import { sendAll, workMessages } from "../events/messages.ts";
import { idParam, pageSchema, paginationQuerySchema, pageOf } from "../http/pagination.ts";
import { invalidField, notFound, problemResponses } from "../http/problem.ts";
import type { ApiTag } from "../http/openapi-tags.ts";
import { jsonResponse, secured } from "../http/routes.ts";
import { readAs, writeAs } from "../http/transactions.ts";
import { getDelivery, listDeliveries, recoverEndpoint, retryDelivery } from "./delivery-log.ts";
import {
  createEndpoint,
  deleteEndpoint,
  getEndpoint,
  listEndpoints,
  rotateSecret,
  sendTestEvent,
  setEndpointEnabled,
  updateEndpoint,
} from "./endpoints.ts";
import {
  createEndpointBodySchema,
  deliverySchema,
  deliveryWithAttemptsSchema,
  listDeliveriesQuerySchema,
  recoverBodySchema,
  recoverResultSchema,
  rotateSecretBodySchema,
  testEventSchema,
  toAttempt,
  toDelivery,
  toEndpoint,
  updateEndpointBodySchema,
  webhookEndpointSchema,
  webhookEndpointWithSecretSchema,
} from "./schemas.ts";
import { checkEndpointUrl } from "./url-policy.ts";
import { safeError } from "../platform/log-safe.ts";

const tags: [ApiTag] = ["webhooks"];
const body = <S extends z.ZodType>(schema: S, required = true) => ({
  content: { "application/json": { schema } },
  required,
});
const endpointPath = "/v1/webhooks/endpoints/{id}";

const endpointAction = <P extends string>(operationId: string, path: P, summary: string, description: string) =>
  secured("webhooks:write", {
    method: "post",
    path,
    operationId,
    tags,
    summary,
    description,
    request: { params: idParam },
    responses: {
      200: jsonResponse(webhookEndpointSchema, "The endpoint"),
      ...problemResponses(400, 401, 403, 404, 429),
    },
  });

const createRoute = secured("webhooks:write", {
  method: "post",
  path: "/v1/webhooks/endpoints",
  operationId: "createWebhookEndpoint",
  tags,
  summary: "Register a webhook endpoint (its signing secret is shown once)",
  description:
    "Deliveries follow Standard Webhooks: `webhook-id` (the event id), `webhook-timestamp`, `webhook-signature: v1,<base64>`. " +
    "Outside development the URL must be https on port 443, without credentials, naming a host that resolves only to public addresses.",
  request: { body: body(createEndpointBodySchema) },
  responses: {
    201: jsonResponse(webhookEndpointWithSecretSchema, "The endpoint, with its secret"),
    ...problemResponses(400, 401, 403, 422, 429),
  },
});

const listRoute = secured("webhooks:read", {
  method: "get",
  path: "/v1/webhooks/endpoints",
  operationId: "listWebhookEndpoints",
  tags,
  summary: "List webhook endpoints, newest first",
  description: "Never includes secrets.",
  request: { query: paginationQuerySchema },
  responses: {
    200: jsonResponse(pageSchema(webhookEndpointSchema, "WebhookEndpointList"), "A page of endpoints"),
    ...problemResponses(400, 401, 403, 429),
  },
});

const getRoute = secured("webhooks:read", {
  method: "get",
  path: endpointPath,
  operationId: "getWebhookEndpoint",
  tags,
  summary: "Retrieve a webhook endpoint",
  description: "Never includes its secret.",
  request: { params: idParam },
  responses: { 200: jsonResponse(webhookEndpointSchema, "The endpoint"), ...problemResponses(400, 401, 403, 404, 429) },
});

const updateRoute = secured("webhooks:write", {
  method: "patch",
  path: endpointPath,
  operationId: "updateWebhookEndpoint",
  tags,
  summary: "Change a webhook endpoint's URL, description or event types",
  description: "Only the fields sent change. A new URL is checked like at creation.",
  request: { params: idParam, body: body(updateEndpointBodySchema) },
  responses: {
    200: jsonResponse(webhookEndpointSchema, "The endpoint"),
    ...problemResponses(400, 401, 403, 404, 422, 429),
  },
});

const deleteRoute = secured("webhooks:write", {
  method: "delete",
  path: endpointPath,
  operationId: "deleteWebhookEndpoint",
  tags,
  summary: "Delete a webhook endpoint and its delivery log",
  description: "Deliveries not yet made are dropped.",
  request: { params: idParam },
  responses: { 204: { description: "Deleted" }, ...problemResponses(400, 401, 403, 404, 429) },
});

const enableRoute = endpointAction(
  "enableWebhookEndpoint",
  `${endpointPath}/enable`,
  "Enable a webhook endpoint",
  "Clears its failure streak. Missed events are not re-sent: use recover.",
);
const disableRoute = endpointAction(
  "disableWebhookEndpoint",
  `${endpointPath}/disable`,
  "Disable a webhook endpoint",
  "Nothing is sent to it until it is enabled again.",
);

const rotateRoute = secured("webhooks:write", {
  method: "post",
  path: `${endpointPath}/rotate-secret`,
  operationId: "rotateWebhookSecret",
  tags,
  summary: "Rotate an endpoint's signing secret (the new one is shown once)",
  description:
    "For 24 hours deliveries carry two signatures (new and previous secret), so receivers can switch without losing " +
    "messages; `expire_previous_now: true` stops the old one at once.",
  request: { params: idParam, body: body(rotateSecretBodySchema, false) },
  responses: {
    200: jsonResponse(webhookEndpointWithSecretSchema, "The endpoint, with its new secret"),
    ...problemResponses(400, 401, 403, 404, 422, 429),
  },
});

const testRoute = secured("webhooks:write", {
  method: "post",
  path: `${endpointPath}/test`,
  operationId: "sendWebhookTestEvent",
  tags,
  summary: "Send a webhook.test event to this endpoint",
  description: "Delivered like any event (even to a disabled endpoint) and shown in the delivery log.",
  request: { params: idParam },
  responses: {
    202: jsonResponse(testEventSchema, "The test event is queued"),
    ...problemResponses(400, 401, 403, 404, 429),
  },
});

const listDeliveriesRoute = secured("webhooks:read", {
  method: "get",
  path: `${endpointPath}/deliveries`,
  operationId: "listWebhookDeliveries",
  tags,
  summary: "An endpoint's delivery log, newest first",
  description: "Filter by `status` and `event_type`.",
  request: { params: idParam, query: listDeliveriesQuerySchema },
  responses: {
    200: jsonResponse(pageSchema(deliverySchema, "WebhookDeliveryList"), "A page of deliveries"),
    ...problemResponses(400, 401, 403, 404, 429),
  },
});

const getDeliveryRoute = secured("webhooks:read", {
  method: "get",
  path: "/v1/webhooks/deliveries/{id}",
  operationId: "getWebhookDelivery",
  tags,
  summary: "A delivery with every attempt",
  description: "Each attempt: status code, latency, error, first 1 KB of the response.",
  request: { params: idParam },
  responses: {
    200: jsonResponse(deliveryWithAttemptsSchema, "The delivery"),
    ...problemResponses(400, 401, 403, 404, 429),
  },
});

const retryRoute = secured("webhooks:write", {
  method: "post",
  path: "/v1/webhooks/deliveries/{id}/retry",
  operationId: "retryWebhookDelivery",
  tags,
  summary: "Attempt a delivery again now",
  description:
    "Same event id and body (the receiver can deduplicate on `webhook-id`); a dead delivery gets a fresh retry schedule. " +
    "409 `endpoint-disabled` while its endpoint is disabled.",
  request: { params: idParam },
  responses: {
    202: jsonResponse(deliverySchema, "The delivery, due now"),
    ...problemResponses(400, 401, 403, 404, 409, 429),
  },
});

const recoverRoute = secured("webhooks:write", {
  method: "post",
  path: `${endpointPath}/recover`,
  operationId: "recoverWebhookEndpoint",
  tags,
  summary: "Re-send every failed or dead delivery since a time",
  description: "Use after fixing (and enabling) an endpoint.",
  request: { params: idParam, body: body(recoverBodySchema) },
  responses: {
    202: jsonResponse(recoverResultSchema, "How many deliveries were queued"),
    ...problemResponses(400, 401, 403, 404, 422, 429),
  },
});

async function assertDeliverable(c: AppContext, url: string): Promise<void> {
  const verdict = await checkEndpointUrl(c.env, url);
  if (!verdict.ok) throw invalidField("url", verdict.code, verdict.message);
}

const queueDeliveries = (c: AppContext, ids: string[]) =>
  c.executionCtx.waitUntil(
    sendAll(c.env.EVENTS, workMessages("webhook_deliveries", ids)).catch((error) =>
      console.error(`queueing deliveries failed; the sweep will: ${safeError(error)}`),
    ),
  );

export const webhookRoutes = new OpenAPIHono<AppEnv>()
  .openapi(createRoute, async (c) => {
    const input = c.req.valid("json");
    await assertDeliverable(c, input.url);
    const { customerId } = c.var.principal;
    const { row, secret } = await writeAs(c, (db, audit) =>
      createEndpoint(db, audit, c.env.DATA_ENCRYPTION_KEY, customerId, {
        url: input.url,
        description: input.description ?? null,
        eventTypes: input.event_types,
      }),
    );
    return c.json({ ...toEndpoint(row), secret }, 201, { Location: `/v1/webhooks/endpoints/${row.id}` });
  })
  .openapi(listRoute, async (c) => {
    const query = c.req.valid("query");
    const rows = await readAs(c, (db) => listEndpoints(db, c.var.principal.customerId, query));
    return c.json(pageOf(rows, query.limit, toEndpoint), 200);
  })
  .openapi(getRoute, async (c) => {
    const { id } = c.req.valid("param");
    const row = await readAs(c, (db) => getEndpoint(db, c.var.principal.customerId, id));
    if (!row) throw notFound("webhook endpoint", id);
    return c.json(toEndpoint(row), 200);
  })
  .openapi(updateRoute, async (c) => {
    const { id } = c.req.valid("param");
    const input = c.req.valid("json");
    if (input.url !== undefined) await assertDeliverable(c, input.url);
    const row = await writeAs(c, (db, audit) =>
      updateEndpoint(db, audit, c.var.principal.customerId, id, {
        url: input.url,
        description: input.description,
        eventTypes: input.event_types,
      }),
    );
    if (!row) throw notFound("webhook endpoint", id);
    return c.json(toEndpoint(row), 200);
  })
  .openapi(deleteRoute, async (c) => {
    const { id } = c.req.valid("param");
    const deleted = await writeAs(c, (db, audit) => deleteEndpoint(db, audit, c.var.principal.customerId, id));
    if (!deleted) throw notFound("webhook endpoint", id);
    return c.body(null, 204);
  })
  .openapi(enableRoute, async (c) => {
    const { id } = c.req.valid("param");
    const row = await writeAs(c, (db, audit) => setEndpointEnabled(db, audit, c.var.principal.customerId, id, true));
    if (!row) throw notFound("webhook endpoint", id);
    return c.json(toEndpoint(row), 200);
  })
  .openapi(disableRoute, async (c) => {
    const { id } = c.req.valid("param");
    const row = await writeAs(c, (db, audit) => setEndpointEnabled(db, audit, c.var.principal.customerId, id, false));
    if (!row) throw notFound("webhook endpoint", id);
    return c.json(toEndpoint(row), 200);
  })
  .openapi(rotateRoute, async (c) => {
    const { id } = c.req.valid("param");
    const expireNow = c.req.valid("json")?.expire_previous_now ?? false;
    const result = await writeAs(c, (db, audit) =>
      rotateSecret(db, audit, c.env.DATA_ENCRYPTION_KEY, c.var.principal.customerId, id, expireNow),
    );
    if (!result) throw notFound("webhook endpoint", id);
    return c.json({ ...toEndpoint(result.row), secret: result.secret }, 200);
  })
  .openapi(testRoute, async (c) => {
    const { id } = c.req.valid("param");
    const sent = await writeAs(c, (db, audit, emit) => sendTestEvent(db, audit, emit, c.var.principal.customerId, id));
    if (!sent) throw notFound("webhook endpoint", id);
    return c.json({ event_id: sent.eventId, type: "webhook.test" as const }, 202);
  })
  .openapi(listDeliveriesRoute, async (c) => {
    const { id } = c.req.valid("param");
    const query = c.req.valid("query");
    const { customerId } = c.var.principal;
    const rows = await readAs(c, async (db) =>
      (await getEndpoint(db, customerId, id)) ? listDeliveries(db, customerId, id, query) : undefined,
    );
    if (!rows) throw notFound("webhook endpoint", id);
    return c.json(pageOf(rows, query.limit, toDelivery), 200);
  })
  .openapi(getDeliveryRoute, async (c) => {
    const { id } = c.req.valid("param");
    const found = await readAs(c, (db) => getDelivery(db, c.var.principal.customerId, id));
    if (!found) throw notFound("webhook delivery", id);
    return c.json(
      { ...toDelivery(found.delivery), payload: found.delivery.payload, attempts: found.attempts.map(toAttempt) },
      200,
    );
  })
  .openapi(retryRoute, async (c) => {
    const { id } = c.req.valid("param");
    const row = await writeAs(c, (db, audit) => retryDelivery(db, audit, c.var.principal.customerId, id));
    if (!row) throw notFound("webhook delivery", id);
    queueDeliveries(c, [row.id]);
    return c.json(toDelivery(row), 202);
  })
  .openapi(recoverRoute, async (c) => {
    const { id } = c.req.valid("param");
    const { since } = c.req.valid("json");
    const { customerId } = c.var.principal;
    const ids = await writeAs(c, async (db, audit) =>
      (await getEndpoint(db, customerId, id)) ? recoverEndpoint(db, audit, customerId, id, new Date(since)) : undefined,
    );
    if (!ids) throw notFound("webhook endpoint", id);
    queueDeliveries(c, ids);
    return c.json({ requeued: ids.length }, 202);
  });
