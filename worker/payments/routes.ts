// The payment provider's webhook receiver (docs/billing.md, "Provider webhook"). No credential but
// the signature: it is checked on the raw body before anything is parsed or looked up. The invoice
// is found by a definer lookup (app.find_invoice_customer), then the payment is recorded in that
// customer's signed context with the `payment_provider` role, the one non-staff context the
// payment function accepts, and only together with the provider event id (applied once).
import { OpenAPIHono, z } from "@hono/zod-openapi";
import { every } from "hono/combine";
import { paymentMethods } from "../../db/schema.ts";
import type { AppEnv } from "../http/context.ts";
import { ProblemError, problemResponses } from "../http/problem.ts";
import { open } from "../http/routes.ts";
import { settleAs } from "../invoices/past-due.ts";
import { findInvoiceCustomer, recordPayment } from "../invoices/settlement.ts";
import { SIGNATURE_HEADER, TOLERANCE_SECONDS, verifySignature } from "./signature.ts";

const eventSchema = z
  .object({
    id: z.string().min(1).max(255).openapi({ description: "The provider's event id", example: "evt_1Q2w3E4r" }),
    type: z.string().min(1).max(100).openapi({
      description: "Only `payment.succeeded` is applied; other types are acknowledged and ignored",
      example: "payment.succeeded",
    }),
    data: z
      .object({
        invoice_id: z.string().uuid().optional(),
        invoice_number: z.string().min(1).max(64).optional().openapi({ example: "SB-2026-000123" }),
        amount_cents: z.number().int().min(1).max(1_000_000_000_000),
        method: z.enum(paymentMethods).default("card"),
        reference: z.string().max(200).nullable().optional().openapi({ example: "ch_3Q2w3E4r" }),
        received_at: z.string().datetime({ offset: true }).optional(),
      })
      .refine((d) => d.invoice_id !== undefined || d.invoice_number !== undefined, {
        message: "needs invoice_id or invoice_number",
        path: ["invoice_id"],
      }),
  })
  .openapi("PaymentProviderEvent");

const receiptSchema = z
  .object({
    received: z.literal(true),
    duplicate: z.boolean().openapi({ description: "true: this event id was applied before; nothing changed" }),
    applied: z.boolean(),
    payment_id: z.string().uuid().nullable(),
    invoice_status: z.string().nullable().openapi({ example: "paid" }),
  })
  .openapi("PaymentProviderReceipt");

const webhookRoute = open({
  method: "post",
  path: "/v1/payments/webhook",
  operationId: "receivePaymentEvent",
  tags: ["billing"],
  summary: "Receive a payment provider event (signed; no credential)",
  description:
    "The payment provider reports a payment. `Payment-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of " +
    '"<t>.<raw body>">` with a secret of `PAYMENT_WEBHOOK_SECRET` (several accepted during a rotation); the ' +
    `timestamp must be within ${TOLERANCE_SECONDS / 60} minutes. A missing, malformed, stale or wrong signature is a ` +
    "401 and nothing is read. Each event id is applied once: a replay answers 200 with `duplicate: true`. A payment " +
    "the invoice refuses (void, already paid, more than due) is a 409/422 problem and is not stored.",
  request: { body: { content: { "application/json": { schema: eventSchema } }, required: true } },
  responses: {
    200: { description: "Received", content: { "application/json": { schema: receiptSchema } } },
    ...problemResponses(401, 404, 409, 422),
  },
});

const badSignature = (reason: string) =>
  new ProblemError(401, "invalid-signature", "Invalid webhook signature", `The Payment-Signature header is ${reason}.`);

const REASONS = {
  missing: "missing",
  malformed: "malformed",
  stale: `older (or newer) than ${TOLERANCE_SECONDS / 60} minutes`,
  mismatch: "not a valid signature of this body",
} as const;

export const paymentRoutes = new OpenAPIHono<AppEnv>();

// Routed by hand (like the invoice document) so the signature is checked on the raw body before
// the body is validated: an unsigned request learns nothing about the expected shape.
const { middleware, ...operation } = webhookRoute;
paymentRoutes.openAPIRegistry.registerPath(operation);
paymentRoutes.post("/v1/payments/webhook", every(...middleware), async (c) => {
  const raw = await c.req.text();
  const check = await verifySignature(c.env.PAYMENT_WEBHOOK_SECRET, c.req.header(SIGNATURE_HEADER), raw);
  if (!check.ok) throw badSignature(REASONS[check.reason]);

  const parsed = eventSchema.safeParse(JSON.parse(raw || "null"));
  if (!parsed.success) {
    const errors = parsed.error.issues.map((i) => ({
      field: ["body", ...i.path].join("."),
      code: i.code,
      message: i.message,
    }));
    throw new ProblemError(422, "validation-error", "Validation failed", `${errors[0]!.field} ${errors[0]!.message}.`, {
      errors,
    });
  }
  const event = parsed.data;
  if (event.type !== "payment.succeeded") {
    return c.json({ received: true, duplicate: false, applied: false, payment_id: null, invoice_status: null }, 200);
  }
  const found = await findInvoiceCustomer((text, values) => c.var.db.system(text, values), {
    id: event.data.invoice_id,
    number: event.data.invoice_number,
  });
  if (!found) {
    throw new ProblemError(404, "not-found", "Not found", "No invoice with this invoice_id or invoice_number.");
  }
  const outcome = await settleAs(
    c,
    found.customerId,
    (db, audit, emit) =>
      recordPayment(db, audit, emit, found.invoiceId, {
        amountCents: event.data.amount_cents,
        method: event.data.method,
        reference: event.data.reference ?? null,
        receivedAt: event.data.received_at ?? new Date().toISOString(),
        providerEvent: { id: event.id, type: event.type, payload: event },
      }),
    {
      context: { customerId: found.customerId, role: "payment_provider" },
      actor: { type: "system", id: "payment-provider" },
    },
  );
  if (outcome.duplicate) {
    return c.json({ received: true, duplicate: true, applied: false, payment_id: null, invoice_status: null }, 200);
  }
  return c.json(
    {
      received: true,
      duplicate: false,
      applied: true,
      payment_id: outcome.payment.id,
      invoice_status: outcome.invoice.status,
    },
    200,
  );
});
