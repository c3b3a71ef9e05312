// POST /v1/email/ses-notifications: Amazon SNS delivers SES bounce and complaint events here
// (terraform/modules/email; docs/email-suppressions.md). No credential: the SNS signature is the
// authentication. In order, each step before any work of the next: the body's shape, the topic
// (SES_NOTIFICATIONS_TOPIC_ARN; unset refuses everything), the signing certificate's URL (SNS's
// own hosts only, checked before it is fetched), the signature; then the message is applied once
// per MessageId, or the subscription confirmed by a GET of its SubscribeURL (also SNS's own host).
import { OpenAPIHono, z } from "@hono/zod-openapi";
import { bodyLimit } from "hono/body-limit";
import type { AppEnv } from "../http/context.ts";
import { JSON_LIMITS, jsonShapeProblem, textProblem } from "../http/input.ts";
import { ProblemError, problem, problemResponses } from "../http/problem.ts";
import { open } from "../http/routes.ts";
import { safeError } from "../platform/log-safe.ts";
import { readSesEvent } from "./ses-events.ts";
import { type SnsEnvelope, snsUrl, verifySnsSignature } from "./sns-signature.ts";
import { recordNotification } from "./suppressions.ts";

/** SNS messages are at most 256 KiB; the envelope and JSON escaping add a little. */
const MAX_BODY_BYTES = 320 * 1024;

/** The envelope's fields: [name, longest, required]. Checked by hand (zod costs bundle size). */
const FIELDS: [keyof SnsEnvelope, number, boolean][] = [
  ["Type", 40, true],
  ["MessageId", 100, true],
  ["TopicArn", 256, true],
  ["Message", 262_144, true],
  ["Timestamp", 40, true],
  ["SignatureVersion", 1, true],
  ["Signature", 2048, true],
  ["SigningCertURL", 2048, true],
  ["Subject", 256, false],
  ["SubscribeURL", 2048, false],
  ["Token", 2048, false],
];
const TYPES = ["Notification", "SubscriptionConfirmation", "UnsubscribeConfirmation"] as const;

const receiptSchema = z
  .object({
    received: z.literal(true),
    type: z.enum(TYPES),
    duplicate: z.boolean().openapi({ description: "This MessageId was applied before: nothing changed" }),
    marked: z.number().int().openapi({ description: "Addresses newly marked undeliverable" }),
    confirmed: z.boolean(),
  })
  .openapi("SesNotificationReceipt");

const notificationsRoute = open({
  method: "post",
  path: "/v1/email/ses-notifications",
  operationId: "receiveSesNotification",
  tags: ["notifications"],
  summary: "Receive an SES bounce or complaint from Amazon SNS (signed; no credential)",
  description:
    "Amazon SNS posts here (docs/email-suppressions.md). Refused: another TopicArn (403), a SigningCertURL not " +
    "https://sns.<region>.amazonaws.com/….pem (400, not fetched), a bad signature (403). Confirms subscriptions; a " +
    "permanent bounce or a complaint marks the recipients undeliverable; each MessageId applies once.",
  request: {
    body: {
      content: { "text/plain": { schema: z.string().max(MAX_BODY_BYTES).openapi({ description: "SNS's JSON" }) } },
      required: true,
    },
  },
  responses: {
    200: { description: "Received", content: { "application/json": { schema: receiptSchema } } },
    ...problemResponses(403, 502),
  },
});

const refused = (status: 400 | 403 | 502, slug: string, title: string, detail: string, field?: string) =>
  new ProblemError(status, slug, title, detail, field ? { errors: [{ field, code: slug, message: detail }] } : {});
const invalid = (field: string, message: string) =>
  refused(400, "validation-error", "Validation failed", `${field} ${message}.`, field);

function parseEnvelope(text: string): SnsEnvelope {
  const shape = jsonShapeProblem(text, JSON_LIMITS.values.standard);
  if (shape) throw invalid("body", shape.message);
  let json: Record<string, unknown>;
  try {
    json = JSON.parse(text);
  } catch {
    throw invalid("body", "is not valid JSON");
  }
  if (json === null || typeof json !== "object") throw invalid("body", "must be an SNS message object");
  for (const [name, max, required] of FIELDS) {
    const value = json[name];
    if (value === undefined && !required) continue;
    if (typeof value !== "string" || value === "" || value.length > max)
      throw invalid(`body.${name}`, `must be a string of 1 to ${max} characters`);
    const reason = textProblem(value);
    if (reason) throw invalid(`body.${name}`, reason);
  }
  if (!TYPES.includes(json.Type as SnsEnvelope["Type"]))
    throw invalid("body.Type", `must be one of ${TYPES.join(", ")}`);
  if (json.SignatureVersion !== "1" && json.SignatureVersion !== "2")
    throw invalid("body.SignatureVersion", "must be 1 or 2");
  return json as unknown as SnsEnvelope;
}

export const sesNotificationRoutes = new OpenAPIHono<AppEnv>();

// Routed by hand (like the payment provider's webhook): SNS sends text/plain, which the JSON-only
// input guard refuses, and the signature is checked before anything is looked up.
const { middleware: _guard, ...operation } = notificationsRoute;
sesNotificationRoutes.openAPIRegistry.registerPath(operation);
sesNotificationRoutes.post(
  "/v1/email/ses-notifications",
  bodyLimit({
    maxSize: MAX_BODY_BYTES,
    onError: (c) =>
      problem(
        c,
        413,
        "payload-too-large",
        "Payload too large",
        `SNS messages here are limited to ${MAX_BODY_BYTES} bytes.`,
      ),
  }),
  async (c) => {
    const message = parseEnvelope(await c.req.text());
    const headerType = c.req.header("x-amz-sns-message-type");
    if (headerType !== undefined && headerType !== message.Type)
      throw invalid("header.x-amz-sns-message-type", "does not match Type");

    const topic = c.env.SES_NOTIFICATIONS_TOPIC_ARN ?? "";
    if (topic === "" || message.TopicArn !== topic)
      throw refused(403, "unknown-topic", "Unknown topic", "Only the configured SES notifications topic is accepted.");

    const certUrl = snsUrl(c.env, message.SigningCertURL, { pem: true });
    if (!certUrl)
      throw refused(
        400,
        "invalid-signing-cert-url",
        "Invalid signing certificate URL",
        "SigningCertURL must be https://sns.<region>.amazonaws.com/….pem.",
        "body.SigningCertURL",
      );
    let valid: boolean;
    try {
      valid = await verifySnsSignature(c.env, message, certUrl);
    } catch (error) {
      console.warn(`SNS signing certificate unusable: ${safeError(error)}`);
      throw refused(
        400,
        "invalid-signing-cert",
        "Unusable signing certificate",
        "The signing certificate could not be used.",
      );
    }
    if (!valid) throw refused(403, "invalid-signature", "Invalid signature", "The SNS signature does not verify.");

    const receipt = { received: true as const, type: message.Type, duplicate: false, marked: 0, confirmed: false };
    if (message.Type === "SubscriptionConfirmation") {
      const subscribe = snsUrl(c.env, message.SubscribeURL, { pem: false });
      if (!subscribe)
        throw refused(
          400,
          "invalid-subscribe-url",
          "Invalid SubscribeURL",
          "SubscribeURL must be an SNS endpoint.",
          "body.SubscribeURL",
        );
      const response = await fetch(subscribe, { redirect: "manual", signal: AbortSignal.timeout(10_000) }).catch(
        (error: unknown) => ({ ok: false, status: safeError(error) }),
      );
      if (!response.ok)
        throw refused(
          502,
          "confirmation-failed",
          "Confirmation failed",
          `SNS answered the confirmation with ${response.status}.`,
        );
      console.log(`SNS subscription to ${message.TopicArn} confirmed`);
      return c.json({ ...receipt, confirmed: true }, 200);
    }
    if (message.Type === "UnsubscribeConfirmation") {
      // Someone unsubscribed the Worker: worth an operator's attention, nothing to change here.
      console.warn(`SNS subscription to ${message.TopicArn} was unsubscribed`);
      return c.json(receipt, 200);
    }
    const outcome = readSesEvent(message.Message);
    const applied = await recordNotification(
      (text, values) => c.var.db.system(text, values),
      {
        messageId: message.MessageId,
        topicArn: message.TopicArn,
      },
      outcome,
    );
    return c.json({ ...receipt, ...applied }, 200);
  },
);
