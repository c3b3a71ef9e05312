// Wire shapes of the webhook endpoints and their delivery log.
import { z } from "@hono/zod-openapi";
import type { webhookDeliveries, webhookDeliveryAttempts } from "../../db/schema.ts";
import { subscribableEventTypes, type EventType } from "../events/catalogue.ts";
import { text } from "../http/input.ts";
import { paginationQuerySchema } from "../http/pagination.ts";
import type { EndpointRow } from "./endpoints.ts";

const iso = (value: Date | null) => value?.toISOString() ?? null;
const time = z.string().datetime({ offset: true });
const eventTypeSchema = z.enum(subscribableEventTypes as [EventType, ...EventType[]]);

export const webhookEndpointSchema = z
  .object({
    id: z.string().uuid().openapi({ example: "019a1b2c-3d4e-7f80-9a1b-2c3d4e5f6a7b" }),
    object: z.literal("webhook_endpoint"),
    url: z.string().openapi({ example: "https://hooks.example.com/securebase" }),
    description: z.string().nullable().openapi({ example: "Billing sync" }),
    event_types: z
      .array(z.string())
      .openapi({ description: "Subscribed types; empty = every type", example: ["invoice.created"] }),
    status: z.enum(["enabled", "disabled"]).openapi({ example: "enabled" }),
    disabled_reason: z
      .string()
      .nullable()
      .openapi({ description: "`manual`, `gone` (the receiver answered 410) or `failing` (5 days of failures)" }),
    failing_since: time
      .nullable()
      .openapi({ description: "Start of the current run of failed deliveries; null when healthy" }),
    previous_secret_expires_at: time
      .nullable()
      .openapi({ description: "Until then, deliveries are also signed with the previous secret" }),
    created_at: time.openapi({ example: "2026-11-02T09:30:00.000Z" }),
    updated_at: time.openapi({ example: "2026-11-02T09:30:00.000Z" }),
  })
  .openapi("WebhookEndpoint");

export const webhookEndpointWithSecretSchema = webhookEndpointSchema
  .extend({
    secret: z.string().openapi({
      description: "The `whsec_…` signing secret. Shown only in this response: store it now.",
      example: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
    }),
  })
  .openapi("WebhookEndpointWithSecret");

export const createEndpointBodySchema = z
  .strictObject({
    url: z.string().max(2048).url().openapi({
      description: "https URL on port 443 (any http(s) URL in development)",
      example: "https://hooks.example.com/securebase",
    }),
    description: text({ max: 500 }).nullable().optional().openapi({ example: "Billing sync" }),
    event_types: z
      .array(eventTypeSchema)
      .max(50)
      .default([])
      .openapi({
        description: "Types to receive; empty or omitted = all",
        example: ["invoice.created", "api_key.revoked"],
      }),
  })
  .openapi("CreateWebhookEndpointRequest");

export const updateEndpointBodySchema = z
  .strictObject({
    url: z.string().max(2048).url().optional().openapi({ example: "https://hooks.example.com/v2/securebase" }),
    description: text({ max: 500 }).nullable().optional().openapi({ example: "Billing sync v2" }),
    event_types: z
      .array(eventTypeSchema)
      .max(50)
      .optional()
      .openapi({ example: ["invoice.created"] }),
  })
  .openapi("UpdateWebhookEndpointRequest");

export const rotateSecretBodySchema = z
  .strictObject({
    expire_previous_now: z.boolean().default(false).openapi({
      description:
        "false (default): the previous secret keeps signing alongside the new one for 24 h; true: it stops at once",
      example: false,
    }),
  })
  .openapi("RotateWebhookSecretRequest");

export const testEventSchema = z
  .object({ event_id: z.string().uuid(), type: z.literal("webhook.test") })
  .openapi("WebhookTestEvent");

export function toEndpoint(row: EndpointRow): z.infer<typeof webhookEndpointSchema> {
  return {
    id: row.id,
    object: "webhook_endpoint",
    url: row.url,
    description: row.description,
    event_types: row.eventTypes,
    status: row.status,
    disabled_reason: row.disabledReason,
    failing_since: iso(row.failingSince),
    previous_secret_expires_at:
      row.previousSecretExpiresAt && row.previousSecretExpiresAt > new Date()
        ? row.previousSecretExpiresAt.toISOString()
        : null,
    created_at: row.createdAt.toISOString(),
    updated_at: row.updatedAt.toISOString(),
  };
}

export const deliveryStatuses = ["pending", "succeeded", "failed", "dead"] as const;

export const attemptSchema = z
  .object({
    attempt_number: z.number().int().openapi({ example: 1 }),
    status_code: z
      .number()
      .int()
      .nullable()
      .openapi({ description: "null when no response arrived (timeout, connection error)", example: 503 }),
    latency_ms: z.number().int().nullable().openapi({ example: 120 }),
    error: z.string().nullable().openapi({ example: "HTTP 503" }),
    response_excerpt: z.string().nullable().openapi({
      description:
        "Always null: the receiver's response body is not stored (a stored body would let an endpoint URL read what it reaches). Status code and latency are kept.",
    }),
    attempted_at: time,
  })
  .openapi("WebhookDeliveryAttempt");

export const deliverySchema = z
  .object({
    id: z.string().uuid(),
    object: z.literal("webhook_delivery"),
    endpoint_id: z.string().uuid(),
    event_id: z.string().uuid().openapi({ description: "Also the `webhook-id` header the receiver saw" }),
    event_type: z.string().openapi({ example: "invoice.created" }),
    status: z.enum(deliveryStatuses).openapi({ example: "succeeded" }),
    attempt_count: z.number().int().openapi({ example: 1 }),
    next_attempt_at: time.nullable(),
    last_status_code: z.number().int().nullable().openapi({ example: 200 }),
    created_at: time,
    updated_at: time,
  })
  .openapi("WebhookDelivery");

export const deliveryWithAttemptsSchema = deliverySchema
  .extend({
    payload: z.record(z.string(), z.unknown()).openapi({ description: "The body sent" }),
    attempts: z.array(attemptSchema),
  })
  .openapi("WebhookDeliveryDetail");

export const listDeliveriesQuerySchema = paginationQuerySchema.extend({
  status: z
    .enum(deliveryStatuses)
    .optional()
    .openapi({ param: { name: "status", in: "query" }, example: "failed" }),
  event_type: z
    .string()
    .max(100)
    .regex(/^[a-z_]+(\.[a-z_]+)+$/)
    .optional()
    .openapi({ param: { name: "event_type", in: "query" }, example: "invoice.created" }),
});

export const recoverBodySchema = z
  .strictObject({
    since: time.openapi({
      description: "Re-send every failed or dead delivery created at or after this time",
      example: "2026-11-20T00:00:00Z",
    }),
  })
  .openapi("RecoverWebhookEndpointRequest");

export const recoverResultSchema = z
  .object({ requeued: z.number().int().openapi({ example: 12 }) })
  .openapi("RecoverWebhookEndpointResult");

type DeliveryRow = typeof webhookDeliveries.$inferSelect;
type AttemptRow = typeof webhookDeliveryAttempts.$inferSelect;

export function toDelivery(row: DeliveryRow): z.infer<typeof deliverySchema> {
  return {
    id: row.id,
    object: "webhook_delivery",
    endpoint_id: row.endpointId,
    event_id: row.eventId,
    event_type: row.eventType,
    status: row.status,
    attempt_count: row.attemptCount,
    next_attempt_at: iso(row.nextAttemptAt),
    last_status_code: row.lastStatusCode,
    created_at: row.createdAt.toISOString(),
    updated_at: row.updatedAt.toISOString(),
  };
}

export function toAttempt(row: AttemptRow): z.infer<typeof attemptSchema> {
  return {
    attempt_number: row.attemptNumber,
    status_code: row.statusCode,
    latency_ms: row.latencyMs,
    error: row.error,
    response_excerpt: row.responseExcerpt,
    attempted_at: row.attemptedAt.toISOString(),
  };
}
