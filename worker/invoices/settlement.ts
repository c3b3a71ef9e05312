// Settling issued invoices (docs/billing.md, "Settlement"): payments, void, uncollectible and
// credit notes. The money moves in SQL (db/migrations/0130_invoice_settlement.sql): each function
// locks the invoice row, checks the caller's authority from the signed context and refuses what
// the invoice's state does not allow, so two racing payments cannot over-pay. Here: calling them,
// mapping their refusals to problems, and the audit and event of each change (same transaction).
import { and, asc, desc, eq, inArray, sql } from "drizzle-orm";
import { creditNotes, invoices, payments, type PaymentMethod } from "../../db/schema.ts";
import type { Emit } from "../events/outbox.ts";
import { afterCursor, type PaginationQuery } from "../http/pagination.ts";
import { invalidField, notFound, ProblemError } from "../http/problem.ts";
import type { Audit } from "../http/transactions.ts";
import type { Database } from "../platform/database.ts";
import { formatCents } from "./documents.ts";
import type { InvoiceRow } from "./invoices.ts";

export type PaymentRow = typeof payments.$inferSelect;
export type CreditNoteRow = typeof creditNotes.$inferSelect;

/** The SQLSTATE of a failed query (drizzle wraps the driver's error as `cause`). */
function sqlState(error: unknown): { code?: string; message: string; hint?: string } {
  const cause = error instanceof Error && error.cause instanceof Error ? error.cause : error;
  const e = cause as { code?: string; message?: string; hint?: string };
  return { code: e?.code, message: e?.message ?? String(cause), hint: e?.hint };
}

/** The settlement functions' refusals as problems: SB404 → 404, SB409 → 409, SB422 → 422 (field in HINT). */
async function settle<T>(what: string, id: string, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    const { code, message, hint } = sqlState(error);
    if (code === "SB404") throw notFound(what, id);
    if (code === "SB409") throw new ProblemError(409, "invalid-state", "Not allowed in the invoice's state", message);
    if (code === "SB422") throw invalidField(hint ?? "amount_cents", "out_of_range", message);
    throw error;
  }
}

async function callJson(db: Database, query: ReturnType<typeof sql>): Promise<Record<string, unknown>> {
  const { rows } = await db.execute(query);
  const value = Object.values(rows[0] ?? {})[0];
  return (typeof value === "string" ? JSON.parse(value) : value) as Record<string, unknown>;
}

export async function invoiceById(db: Database, id: string): Promise<InvoiceRow | undefined> {
  const [row] = await db.select().from(invoices).where(eq(invoices.id, id));
  return row;
}

const iso = (value: Date | string | null) => (value === null ? null : new Date(value).toISOString());

async function emitPaid(emit: Emit, audit: Audit, invoice: InvoiceRow): Promise<void> {
  await emit("invoice.paid", {
    id: invoice.id,
    number: invoice.number,
    total_cents: invoice.totalCents,
    amount_paid_cents: invoice.amountPaidCents,
    balance_applied_cents: invoice.balanceAppliedCents,
    paid_at: iso(invoice.paidAt)!,
    currency: invoice.currency,
  });
  await audit({
    action: "invoice.paid",
    resourceType: "invoice",
    resourceId: invoice.id,
    summary: `Invoice ${invoice.number} paid in full`,
    data: { number: invoice.number, total_cents: invoice.totalCents, amount_paid_cents: invoice.amountPaidCents },
  });
}

export interface PaymentInput {
  amountCents: number;
  method: PaymentMethod;
  reference: string | null;
  receivedAt: string;
  /** Set for a payment a provider reported (its event id, applied once). */
  providerEvent?: { id: string; type: string; payload: unknown };
}

export type PaymentOutcome = { duplicate: true } | { duplicate: false; payment: PaymentRow; invoice: InvoiceRow };

/** Records a payment; the invoice becomes `paid` when nothing is left due. */
export async function recordPayment(
  db: Database,
  audit: Audit,
  emit: Emit,
  invoiceId: string,
  input: PaymentInput,
): Promise<PaymentOutcome> {
  const result = await settle("invoice", invoiceId, () =>
    callJson(
      db,
      sql`SELECT app.record_invoice_payment(${invoiceId}::uuid, ${input.amountCents}::bigint, ${input.method},
        ${input.reference}, ${input.receivedAt}::timestamptz, ${input.providerEvent?.id ?? null},
        ${input.providerEvent?.type ?? null}, ${input.providerEvent ? JSON.stringify(input.providerEvent.payload) : null}::jsonb)`,
    ),
  );
  if (result.duplicate === true) return { duplicate: true };
  const [payment] = await db
    .select()
    .from(payments)
    .where(eq(payments.id, String(result.payment_id)));
  const invoice = (await invoiceById(db, invoiceId))!;
  await audit({
    action: "payment.recorded",
    resourceType: "invoice",
    resourceId: invoiceId,
    summary: `Payment of ${formatCents(input.amountCents)} (${input.method}) recorded on invoice ${invoice.number}; ${formatCents(invoice.amountDueCents)} still due`,
    data: {
      payment_id: payment!.id,
      amount_cents: input.amountCents,
      method: input.method,
      reference: input.reference,
      received_at: input.receivedAt,
      provider_event_id: input.providerEvent?.id ?? null,
      amount_due_cents: invoice.amountDueCents,
    },
  });
  if (result.paid === true) await emitPaid(emit, audit, invoice);
  return { duplicate: false, payment: payment!, invoice };
}

/** Voids an open or uncollectible invoice without payments (staff, with a reason). */
export async function voidInvoice(
  db: Database,
  audit: Audit,
  emit: Emit,
  invoiceId: string,
  reason: string,
): Promise<InvoiceRow> {
  const result = await settle("invoice", invoiceId, () =>
    callJson(db, sql`SELECT app.void_invoice(${invoiceId}::uuid, ${reason})`),
  );
  const invoice = (await invoiceById(db, invoiceId))!;
  await emit("invoice.voided", {
    id: invoice.id,
    number: invoice.number,
    total_cents: invoice.totalCents,
    reason,
    voided_at: iso(invoice.voidedAt)!,
  });
  await audit({
    action: "invoice.voided",
    resourceType: "invoice",
    resourceId: invoice.id,
    summary: `Invoice ${invoice.number} voided: ${reason}`,
    data: { number: invoice.number, reason, returned_to_balance_cents: Number(result.returned_to_balance_cents ?? 0) },
  });
  return invoice;
}

/** Marks an open invoice uncollectible (staff, with a reason); it can still be paid. */
export async function markUncollectible(
  db: Database,
  audit: Audit,
  emit: Emit,
  invoiceId: string,
  reason: string,
): Promise<InvoiceRow> {
  await settle("invoice", invoiceId, () =>
    callJson(db, sql`SELECT app.mark_invoice_uncollectible(${invoiceId}::uuid, ${reason})`),
  );
  const invoice = (await invoiceById(db, invoiceId))!;
  await emit("invoice.marked_uncollectible", {
    id: invoice.id,
    number: invoice.number,
    amount_due_cents: invoice.amountDueCents,
    reason,
    marked_at: iso(invoice.markedUncollectibleAt)!,
  });
  await audit({
    action: "invoice.marked_uncollectible",
    resourceType: "invoice",
    resourceId: invoice.id,
    summary: `Invoice ${invoice.number} marked uncollectible with ${formatCents(invoice.amountDueCents)} due: ${reason}`,
    data: { number: invoice.number, reason, amount_due_cents: invoice.amountDueCents },
  });
  return invoice;
}

export interface CreditNoteInput {
  reason: string;
  amountCents?: number;
  lines?: { line_id: string; amount_cents: number }[];
  createdBy: string;
}

/** Issues a credit note (gap-free SB-CN-YYYY-NNNNNN); beyond the amount due it becomes credit balance. */
export async function issueCreditNote(
  db: Database,
  audit: Audit,
  emit: Emit,
  invoiceId: string,
  input: CreditNoteInput,
): Promise<{ creditNote: CreditNoteRow; invoice: InvoiceRow }> {
  const result = await settle("invoice", invoiceId, () =>
    callJson(
      db,
      sql`SELECT app.issue_credit_note(${invoiceId}::uuid, ${input.reason}, ${input.amountCents ?? null}::bigint,
        ${input.lines ? JSON.stringify(input.lines) : null}::jsonb, ${input.createdBy})`,
    ),
  );
  const [creditNote] = await db
    .select()
    .from(creditNotes)
    .where(eq(creditNotes.id, String(result.credit_note_id)));
  const invoice = (await invoiceById(db, invoiceId))!;
  const note = creditNote!;
  await emit("credit_note.created", {
    id: note.id,
    number: note.number,
    invoice_id: invoice.id,
    invoice_number: invoice.number,
    amount_cents: note.amountCents,
    to_balance_cents: note.toBalanceCents,
    reason: note.reason,
  });
  await audit({
    action: "credit_note.issued",
    resourceType: "credit_note",
    resourceId: note.id,
    summary: `Credit note ${note.number} of ${formatCents(note.amountCents)} on invoice ${invoice.number}: ${note.reason}`,
    data: {
      number: note.number,
      invoice_id: invoice.id,
      amount_cents: note.amountCents,
      applied_cents: note.appliedCents,
      to_balance_cents: note.toBalanceCents,
      lines: note.lines,
    },
  });
  if (result.paid === true) await emitPaid(emit, audit, invoice);
  return { creditNote: note, invoice };
}

/** Payments and credit notes of some invoices (RLS limits both to the context's customer). */
export async function settlementOf(
  db: Database,
  invoiceIds: string[],
): Promise<{ payments: PaymentRow[]; creditNotes: CreditNoteRow[] }> {
  if (invoiceIds.length === 0) return { payments: [], creditNotes: [] };
  const [paid, credited] = await Promise.all([
    db.select().from(payments).where(inArray(payments.invoiceId, invoiceIds)).orderBy(asc(payments.id)),
    db.select().from(creditNotes).where(inArray(creditNotes.invoiceId, invoiceIds)).orderBy(asc(creditNotes.id)),
  ]);
  return { payments: paid, creditNotes: credited };
}

export function listCreditNotes(db: Database, customerId: string, page: PaginationQuery): Promise<CreditNoteRow[]> {
  return db
    .select()
    .from(creditNotes)
    .where(and(eq(creditNotes.customerId, customerId), afterCursor(creditNotes.id, page)))
    .orderBy(desc(creditNotes.id))
    .limit(page.limit + 1);
}

export async function getCreditNote(db: Database, customerId: string, id: string): Promise<CreditNoteRow | undefined> {
  const [row] = await db
    .select()
    .from(creditNotes)
    .where(and(eq(creditNotes.customerId, customerId), eq(creditNotes.id, id)));
  return row;
}

/** The customer an invoice belongs to, by id or number, before any tenant context (definer lookup). */
export async function findInvoiceCustomer(
  system: (text: string, values: unknown[]) => Promise<Record<string, unknown>[]>,
  by: { id?: string; number?: string },
): Promise<{ invoiceId: string; customerId: string } | undefined> {
  const [row] = await system("SELECT invoice_id, customer_id FROM app.find_invoice_customer($1, $2)", [
    by.id ?? null,
    by.number ?? null,
  ]);
  return row ? { invoiceId: String(row.invoice_id), customerId: String(row.customer_id) } : undefined;
}
