// Staff settlement of invoices (docs/billing.md, "Settlement"): record a payment, void, mark
// uncollectible, issue a credit note; and staff reads of a customer's invoices, each audited with
// a reason. Every route is super_admin. Staff know an invoice by id only: its customer is looked
// up first (app.find_invoice_customer), and the change runs in that customer's signed staff
// context, so its audit event lands in the customer's own chain.
import { OpenAPIHono, z } from "@hono/zod-openapi";
import { eq } from "drizzle-orm";
import { customers, paymentMethods } from "../../db/schema.ts";
import { actorOf } from "../auth/principal.ts";
import type { AppContext, AppEnv } from "../http/context.ts";
import { text } from "../http/input.ts";
import { idParam, pageOf, pageSchema, paginationQuerySchema } from "../http/pagination.ts";
import { notFound, problemResponses } from "../http/problem.ts";
import { jsonContent, jsonResponse, secured } from "../http/routes.ts";
import { writeAs, type Actor } from "../http/transactions.ts";
import type { TenantContext } from "../platform/tenant-context.ts";
import { listInvoices } from "./invoices.ts";
import { settleAs } from "./past-due.ts";
import { invoiceSchema, toInvoice } from "./routes.ts";
import { creditNoteSchema, paymentSchema, toCreditNote, toPayment } from "./settlement-schemas.ts";
import {
  findInvoiceCustomer,
  issueCreditNote,
  markUncollectible,
  recordPayment,
  settlementOf,
  voidInvoice,
} from "./settlement.ts";

const positiveCents = (description: string) =>
  z
    .number()
    .int()
    .min(1)
    .max(1_000_000_000_000)
    .openapi({ description: `${description}, in integer cents`, example: 100_000 });
const reason = text({ min: 1, max: 500 }).openapi({ example: "Duplicate of SB-2026-000122" });

const paymentBody = z
  .strictObject({
    amount_cents: positiveCents("Amount received; at most the amount due"),
    method: z.enum(paymentMethods).openapi({ example: "wire" }),
    reference: text({ max: 200 }).nullable().optional().openapi({ example: "WIRE-2026-11-0042" }),
    received_at: z.string().datetime({ offset: true }).openapi({ example: "2026-11-20T14:00:00Z" }),
  })
  .openapi("RecordPaymentRequest");

const reasonBody = (name: string) => z.strictObject({ reason }).openapi(name);

const creditNoteBody = z
  .strictObject({
    reason,
    amount_cents: positiveCents("Amount to credit").optional(),
    lines: z
      .array(z.strictObject({ line_id: z.string().uuid(), amount_cents: positiveCents("Credited on this line") }))
      .min(1)
      .max(100)
      .optional()
      .openapi({ description: "Credit line by line (each at most what is left of the line); or send amount_cents" }),
  })
  .refine((b) => (b.amount_cents === undefined) !== (b.lines === undefined), {
    message: "Send exactly one of amount_cents or lines",
    path: ["amount_cents"],
  })
  .openapi("CreateCreditNoteRequest", {
    example: { reason: "Service credit for the 3 Nov outage", amount_cents: 50_000 },
  });

const recordedPaymentSchema = paymentSchema
  .extend({ invoice: invoiceSchema })
  .openapi("RecordedPayment", { description: "The payment, and the invoice after it" });
const issuedCreditNoteSchema = creditNoteSchema
  .extend({ invoice: invoiceSchema })
  .openapi("IssuedCreditNote", { description: "The credit note, and the invoice after it" });

const action = <B extends z.ZodType, R extends z.ZodType, S extends 200 | 201>(
  spec: { path: string; operationId: string; summary: string; description: string },
  body: B,
  status: S,
  response: R,
) =>
  secured("super_admin", {
    method: "post",
    ...spec,
    tags: ["billing"],
    request: { params: idParam, body: { content: jsonContent(body), required: true } },
    responses: {
      ...problemResponses(401, 403, 404, 409, 422, 429),
      ...({ [status]: jsonResponse(response, spec.summary) } as Record<S, ReturnType<typeof jsonResponse<R>>>),
    },
  });

const paymentRoute = action(
  {
    path: "/v1/admin/invoices/{id}/payments",
    operationId: "recordInvoicePayment",
    summary: "Record a payment received for an invoice (SecureBase staff)",
    description:
      "Partial payments add up; one that would take the invoice below zero due is a 422 naming `amount_cents`. When " +
      "nothing is left due the invoice becomes `paid` (event `invoice.paid`) in the same transaction. A void or paid " +
      "invoice is a 409. The invoice row is locked, so racing payments cannot over-pay.",
  },
  paymentBody,
  201,
  recordedPaymentSchema,
);
const voidRoute = action(
  {
    path: "/v1/admin/invoices/{id}/void",
    operationId: "voidInvoice",
    summary: "Void an invoice (SecureBase staff)",
    description:
      "Open or uncollectible invoices without payments (credit a paid one instead: 409). Nothing is due afterwards; a " +
      "credit balance the invoice consumed goes back to the customer. Event `invoice.voided`.",
  },
  reasonBody("VoidInvoiceRequest"),
  200,
  invoiceSchema,
);
const uncollectibleRoute = action(
  {
    path: "/v1/admin/invoices/{id}/mark-uncollectible",
    operationId: "markInvoiceUncollectible",
    summary: "Mark an open invoice uncollectible (SecureBase staff)",
    description:
      "For bad debt: the amount stays due and can still be paid (then `paid`). Only an open invoice (409 otherwise). " +
      "Event `invoice.marked_uncollectible`.",
  },
  reasonBody("MarkUncollectibleRequest"),
  200,
  invoiceSchema,
);
const creditNoteRoute = action(
  {
    path: "/v1/admin/invoices/{id}/credit-notes",
    operationId: "createCreditNote",
    summary: "Issue a credit note on an invoice (SecureBase staff)",
    description:
      "An amount or lines, with a reason; numbered `SB-CN-YYYY-NNNNNN` without gaps. It reduces the amount due; the " +
      "part beyond it becomes the customer's credit balance, which the next invoice consumes. Credit notes never " +
      "exceed the invoice total (422); a void invoice cannot be credited (409). Event `credit_note.created`.",
  },
  creditNoteBody,
  201,
  issuedCreditNoteSchema,
);

const staffReadQuery = paginationQuerySchema.extend({
  reason: text({ min: 3, max: 500 }).openapi({
    param: { name: "reason", in: "query" },
    description: "Why staff read this customer's billing: recorded in the customer's audit trail",
    example: "Ticket 4711: customer disputes November invoice",
  }),
});

const staffListRoute = secured("super_admin", {
  method: "get",
  path: "/v1/admin/customers/{id}/invoices",
  operationId: "listCustomerInvoices",
  tags: ["admin"],
  summary: "List a customer's invoices with their payments and credit notes (SecureBase staff, audited)",
  description:
    "Newest first. Requires a `reason`; every read is recorded as `billing.staff_read` in the customer's audit " +
    "trail with the reason and the staff member.",
  request: { params: idParam, query: staffReadQuery },
  responses: {
    200: jsonResponse(
      pageSchema(
        invoiceSchema.extend({ payments: z.array(paymentSchema), credit_notes: z.array(creditNoteSchema) }),
        "StaffInvoiceList",
      ),
      "A page of the customer's invoices",
    ),
    ...problemResponses(401, 403, 404, 429),
  },
});

function staffOn(c: AppContext, customerId: string): { context: TenantContext; actor: Actor } {
  const principal = c.var.principal;
  return {
    context: { customerId, superAdmin: true, userId: principal.userId, role: principal.role },
    actor: actorOf(principal),
  };
}

async function invoiceCustomer(c: AppContext, id: string): Promise<string> {
  const found = await findInvoiceCustomer((q, v) => c.var.db.system(q, v), { id });
  if (!found) throw notFound("invoice", id);
  return found.customerId;
}

export const settlementRoutes = new OpenAPIHono<AppEnv>()
  .openapi(paymentRoute, async (c) => {
    const { id } = c.req.valid("param");
    const body = c.req.valid("json") as z.infer<typeof paymentBody>;
    const customerId = await invoiceCustomer(c, id);
    const outcome = await settleAs(
      c,
      customerId,
      (db, audit, emit) =>
        recordPayment(db, audit, emit, id, {
          amountCents: body.amount_cents,
          method: body.method,
          reference: body.reference ?? null,
          receivedAt: body.received_at,
        }),
      staffOn(c, customerId),
    );
    if (outcome.duplicate) throw new Error("a staff payment cannot be a duplicate provider event");
    return c.json({ ...toPayment(outcome.payment), invoice: toInvoice(outcome.invoice) }, 201);
  })
  .openapi(voidRoute, async (c) => {
    const { id } = c.req.valid("param");
    const body = c.req.valid("json") as { reason: string };
    const customerId = await invoiceCustomer(c, id);
    const invoice = await settleAs(
      c,
      customerId,
      (db, audit, emit) => voidInvoice(db, audit, emit, id, body.reason),
      staffOn(c, customerId),
    );
    return c.json(toInvoice(invoice), 200);
  })
  .openapi(uncollectibleRoute, async (c) => {
    const { id } = c.req.valid("param");
    const body = c.req.valid("json") as { reason: string };
    const customerId = await invoiceCustomer(c, id);
    const invoice = await settleAs(
      c,
      customerId,
      (db, audit, emit) => markUncollectible(db, audit, emit, id, body.reason),
      staffOn(c, customerId),
    );
    return c.json(toInvoice(invoice), 200);
  })
  .openapi(creditNoteRoute, async (c) => {
    const { id } = c.req.valid("param");
    const body = c.req.valid("json") as z.infer<typeof creditNoteBody>;
    const customerId = await invoiceCustomer(c, id);
    const staff = staffOn(c, customerId);
    const issued = await settleAs(
      c,
      customerId,
      (db, audit, emit) =>
        issueCreditNote(db, audit, emit, id, {
          reason: body.reason,
          amountCents: body.amount_cents,
          lines: body.lines,
          createdBy: `${staff.actor.type}:${staff.actor.id}`,
        }),
      staff,
    );
    return c.json({ ...toCreditNote(issued.creditNote), invoice: toInvoice(issued.invoice) }, 201);
  });

export const staffInvoiceRoutes = new OpenAPIHono<AppEnv>().openapi(staffListRoute, async (c) => {
  const { id } = c.req.valid("param");
  const query = c.req.valid("query");
  // A write transaction only for its audit event: the read is recorded with the reason, or not served.
  const page = await writeAs(
    c,
    async (db, audit) => {
      const [customer] = await db.select({ id: customers.id }).from(customers).where(eq(customers.id, id));
      if (!customer) throw notFound("customer", id);
      const rows = await listInvoices(db, id, query);
      const shown = rows.slice(0, query.limit);
      await audit({
        action: "billing.staff_read",
        resourceType: "customer",
        resourceId: id,
        summary: `SecureBase staff read ${shown.length} invoice(s): ${query.reason}`,
        data: { reason: query.reason, invoice_ids: shown.map((r) => r.id) },
      });
      return {
        rows,
        ...(await settlementOf(
          db,
          shown.map((r) => r.id),
        )),
      };
    },
    staffOn(c, id),
  );
  return c.json(
    pageOf(page.rows, query.limit, (row) => ({
      ...toInvoice(row),
      payments: page.payments.filter((p) => p.invoiceId === row.id).map(toPayment),
      credit_notes: page.creditNotes.filter((n) => n.invoiceId === row.id).map(toCreditNote),
    })),
    200,
  );
});
