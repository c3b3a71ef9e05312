// Every catalogue event in the OpenAPI 3.1 document's top-level `webhooks` object: customers get
// typed payloads (and the Standard Webhooks headers) from the same /openapi.json as the API.
import type { OpenAPIHono } from "@hono/zod-openapi";
import { z } from "@hono/zod-openapi";

type OpenAPIRegistry = OpenAPIHono["openAPIRegistry"];
import { eventCatalogue, webhookEnvelope, type EventType } from "./catalogue.ts";

const pascal = (type: string) =>
  type
    .split(/[._]/)
    .map((w) => w[0]!.toUpperCase() + w.slice(1))
    .join("");

export function registerEventWebhooks(registry: OpenAPIRegistry): void {
  const headers = z.object({
    "webhook-id": z.string().openapi({ description: "The event id: identical across retries; deduplicate on it" }),
    "webhook-timestamp": z
      .string()
      .openapi({ description: "Unix seconds of this attempt; reject if more than 5 minutes off" }),
    "webhook-signature": z
      .string()
      .openapi({ description: "`v1,<base64 HMAC-SHA256>`, space-separated during a secret rotation" }),
  });
  for (const [type, definition] of Object.entries(eventCatalogue) as [
    EventType,
    (typeof eventCatalogue)[EventType],
  ][]) {
    const schema = webhookEnvelope(definition.payload.openapi(`${pascal(type)}Data`), type).openapi(
      `${pascal(type)}Event`,
    );
    registry.registerWebhook({
      method: "post",
      path: type,
      operationId: `receive${pascal(type)}`,
      summary: type,
      description: `${definition.description}. Category: ${definition.category}.`,
      tags: ["webhooks"],
      // Sent by SecureBase to the customer's endpoint: authenticated by the Standard Webhooks
      // signature in the headers, not by an API credential.
      security: [],
      request: { headers, body: { content: { "application/json": { schema } }, required: true } },
      responses: {
        200: {
          description:
            "Any 2xx acknowledges the delivery; anything else (including 3xx) is retried. 410 disables the endpoint.",
        },
        410: { description: "Gone: the endpoint is disabled and nothing more is sent to it" },
      },
    });
  }
}
