// Response shapes of payments and credit notes, shared by the customer's invoice and credit-note
// routes and the staff settlement routes.
import { z } from "@hono/zod-openapi";
import { paymentMethods } from "../../db/schema.ts";
import type { CreditNoteRow, PaymentRow } from "./settlement.ts";

const cents = (description: string) =>
  z
    .number()
    .int()
    .openapi({ description: `${description}, in integer cents` });
const iso = (value: Date | string) => new Date(value).toISOString();

export const paymentSchema = z
  .object({
    id: z.string().uuid(),
    object: z.literal("payment"),
    invoice_id: z.string().uuid(),
    amount_cents: cents("Amount received"),
    method: z.enum(paymentMethods),
    reference: z.string().nullable().openapi({ example: "WIRE-2026-11-0042" }),
    received_at: z.string().datetime({ offset: true }),
    source: z.enum(["staff", "provider"]).openapi({
      description: "`staff`: recorded by SecureBase finance; `provider`: reported by the payment provider's webhook",
    }),
    created_at: z.string().datetime({ offset: true }),
  })
  .openapi("Payment");

export const creditNoteSchema = z
  .object({
    id: z.string().uuid(),
    object: z.literal("credit_note"),
    number: z.string().openapi({ example: "SB-CN-2026-000001" }),
    invoice_id: z.string().uuid(),
    reason: z.string().openapi({ example: "Service credit for the 3 Nov outage" }),
    amount_cents: cents("Credited"),
    applied_cents: cents("Part that reduced the invoice's amount due"),
    to_balance_cents: cents("Part beyond the amount due, kept as credit for the next invoice"),
    lines: z.array(
      z.object({ line_id: z.string().uuid(), description: z.string(), amount_cents: cents("Credited on this line") }),
    ),
    created_at: z.string().datetime({ offset: true }),
  })
  .openapi("CreditNote");

export function toPayment(row: PaymentRow): z.infer<typeof paymentSchema> {
  return {
    id: row.id,
    object: "payment",
    invoice_id: row.invoiceId,
    amount_cents: row.amountCents,
    method: row.method,
    reference: row.reference,
    received_at: iso(row.receivedAt),
    source: row.source,
    created_at: iso(row.createdAt),
  };
}

export function toCreditNote(row: CreditNoteRow): z.infer<typeof creditNoteSchema> {
  return {
    id: row.id,
    object: "credit_note",
    number: row.number,
    invoice_id: row.invoiceId,
    reason: row.reason,
    amount_cents: row.amountCents,
    applied_cents: row.appliedCents,
    to_balance_cents: row.toBalanceCents,
    lines: row.lines,
    created_at: iso(row.createdAt),
  };
}
