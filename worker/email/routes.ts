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

const wellFormed = (max: number) =>
  z
    .string()
    .min(1)
    .max(max)
    .superRefine((value, ctx) => {
      const reason = textProblem(value);
      if (reason) ctx.addIssue({ code: "custom", message: reason });
    });

const envelopeSchema = z
  .object({
    Type: z.enum(["Notification", "SubscriptionConfirmation", "UnsubscribeConfirmation"]),
    MessageId: wellFormed(100).openapi({ example: "22b80b92-fdea-4c2c-8f9d-bdfb0c7bf324" }),
    TopicArn: wellFormed(256).openapi({ example: "arn:aws:sns:us-east-1:123456789012:example-email-events" }),
    Message: wellFormed(262_144).openapi({ description: "For a Notification: the SES event, as JSON text" }),
    Timestamp: z.string().datetime({ offset: true }),
    SignatureVersion: z.enum(["1", "2"]).openapi({ description: "1: SHA1withRSA, 2: SHA256withRSA" }),
    Signature: wellFormed(2048).openapi({ description: "Base64 RSA signature of the canonical string" }),
    SigningCertURL: wellFormed(2048).openapi({
      example: "https://sns.us-east-1.amazonaws.com/SimpleNotificationService-0000000000000000000000.pem",
    }),
    Subject: wellFormed(256).optional(),
    SubscribeURL: wellFormed(2048).optional(),
    Token: wellFormed(2048).optional(),
    UnsubscribeURL: wellFormed(2048).optional(),
  })
  .passthrough()
  .openapi("SnsMessage");

const receiptSchema = z
  .object({
    received: z.literal(true),
    type: z.enum(["Notification", "SubscriptionConfirmation", "UnsubscribeConfirmation"]),
    duplicate: z.boolean().openapi({ description: "true: this MessageId was applied before; nothing changed" }),
    marked: z.number().int().openapi({ description: "Addresses newly marked undeliverable", example: 1 }),
    confirmed: z.boolean().openapi({ description: "A SubscriptionConfirmation was confirmed with SNS" }),
  })
  .openapi("SesNotificationReceipt");

const notificationsRoute = open({
  method: "post",
  path: "/v1/email/ses-notifications",
  operationId: "receiveSesNotification",
  tags: ["notifications"],
  summary: "Receive an SES bounce or complaint over Amazon SNS (signed; no credential)",
  description:
    "Amazon SNS posts the SES configuration set's bounce and complaint events here (Content-Type text/plain, a JSON " +
    "body). Refused unless the TopicArn is the configured one (403), the SigningCertURL is " +
    "https://sns.<region>.amazonaws.com/….pem (400, never fetched otherwise) and the signature verifies (403). A " +
    "SubscriptionConfirmation is confirmed by fetching its SubscribeURL. A permanent bounce marks each bounced " +
    "recipient undeliverable, a complaint each complaining recipient; transient bounces mark nobody. Each MessageId " +
    "is applied once: a replay answers 200 with `duplicate: true`.",
  request: { body: { content: { "text/plain": { schema: envelopeSchema } }, required: true } },
  responses: {
    200: { description: "Received", content: { "application/json": { schema: receiptSchema } } },
    ...problemResponses(403, 502),
  },
});

const refused = (status: 400 | 403 | 502, slug: string, title: string, detail: string, field?: string) =>
  new ProblemError(status, slug, title, detail, field ? { errors: [{ field, code: slug, message: detail }] } : {});

function parseEnvelope(text: string): SnsEnvelope {
  const shape = jsonShapeProblem(text, JSON_LIMITS.values.standard);
  if (shape) throw new ProblemError(400, "validation-error", "Validation failed", `The body ${shape.message}.`);
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new ProblemError(400, "validation-error", "Validation failed", "The body is not valid JSON.", {
      errors: [{ field: "body", code: "invalid_json", message: "is not valid JSON" }],
    });
  }
  const parsed = envelopeSchema.safeParse(json);
  if (!parsed.success) {
    const errors = parsed.error.issues.map((i) => ({
      field: ["body", ...i.path].join("."),
      code: i.code,
      message: i.message,
    }));
    throw new ProblemError(400, "validation-error", "Validation failed", `${errors[0]!.field} ${errors[0]!.message}.`, {
      errors,
    });
  }
  return parsed.data as SnsEnvelope;
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
      throw refused(
        400,
        "validation-error",
        "Validation failed",
        "x-amz-sns-message-type does not match Type.",
        "header.x-amz-sns-message-type",
      );

    const topic = c.env.SES_NOTIFICATIONS_TOPIC_ARN ?? "";
    if (topic === "" || message.TopicArn !== topic)
      throw refused(
        403,
        "unknown-topic",
        "Unknown topic",
        "Messages are accepted from the configured SES notifications topic only.",
      );

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
