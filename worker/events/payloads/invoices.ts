// Payloads of the invoice settlement events (docs/billing.md, "Settlement").
import { z } from "@hono/zod-openapi";

const uuid = z.string().uuid();
const isoTime = z.string().datetime({ offset: true });
const cents = (description: string) =>
  z
    .number()
    .int()
    .openapi({ description: `${description}, in integer cents` });

export const invoicePaidPayload = z.object({
  id: uuid,
  number: z.string(),
  total_cents: cents("Invoice total"),
  amount_paid_cents: cents("Received in payments"),
  balance_applied_cents: cents("Covered by the customer's credit balance").optional(),
  paid_at: isoTime,
  currency: z.string().length(3).openapi({ example: "usd" }),
});

export const invoiceVoidedPayload = z.object({
  id: uuid,
  number: z.string(),
  total_cents: cents("Invoice total"),
  reason: z.string(),
  voided_at: isoTime,
});

export const invoiceMarkedUncollectiblePayload = z.object({
  id: uuid,
  number: z.string(),
  amount_due_cents: cents("Still due"),
  reason: z.string(),
  marked_at: isoTime,
});

export const creditNoteCreatedPayload = z.object({
  id: uuid,
  number: z.string().openapi({ example: "SB-CN-2026-000001" }),
  invoice_id: uuid,
  invoice_number: z.string(),
  amount_cents: cents("Credited"),
  to_balance_cents: cents("Beyond the amount due: added to the customer's credit balance"),
  reason: z.string(),
});
