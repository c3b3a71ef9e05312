// Settling invoices (docs/billing.md, "Settlement"): staff payments that add up to `paid`, void and
// uncollectible with their refusals, credit notes with gap-free numbers, the customer's view, and
// who may do what. Every transition is audited and emitted as an event.
import { beforeAll, describe, expect, it } from "vitest";
import { asCustomer, createInvoice, standardLines } from "../../dev/fixtures.ts";
import { adminQuery } from "../helpers/billing.ts";
import { asApiRole, asOwner } from "../helpers/database.ts";
import { createUser, login, staffToken } from "../helpers/identity.ts";
import { expectProblem, expectSameAsMissing, send, type Page, type Schemas } from "../helpers/http.ts";
import { readPdf } from "../helpers/pdf.ts";
import { call, createTenant, type TestTenant } from "../helpers/tenants.ts";

type Invoice = Schemas["Invoice"];
const TOTAL = 221_940; // the worked example of docs/billing.md
const year = new Date().getUTCFullYear();

let staff: string;
let alice: TestTenant;
let bob: TestTenant;
let month = 0;

beforeAll(async () => {
  staff = (await staffToken()).token;
  alice = await createTenant();
  bob = await createTenant();
});

/** A fresh open invoice of `tenant` for the worked example ($2,219.40). */
async function openInvoice(tenant: TestTenant = alice): Promise<string> {
  month++;
  const periodStart = `${2000 + Math.floor(month / 12)}-${String((month % 12) + 1).padStart(2, "0")}-01`;
  const next = new Date(`${periodStart}T00:00:00Z`);
  next.setUTCMonth(next.getUTCMonth() + 1);
  return asOwner((client) =>
    createInvoice(client, tenant.customerId, {
      number: `SB-S${Date.now().toString(36)}-${month}`,
      periodStart,
      periodEnd: next.toISOString().slice(0, 10),
      status: "open",
      lines: standardLines(200_000, 100, 1_000),
    }),
  );
}

const pay = (id: string, amount: number, token = staff) =>
  send("POST", `/v1/admin/invoices/${id}/payments`, token, {
    amount_cents: amount,
    method: "wire",
    reference: `WIRE-${amount}`,
    received_at: "2026-11-20T14:00:00Z",
  });
const voidIt = (id: string) => send("POST", `/v1/admin/invoices/${id}/void`, staff, { reason: "Issued in error" });
const markUncollectible = (id: string) =>
  send("POST", `/v1/admin/invoices/${id}/mark-uncollectible`, staff, { reason: "Customer insolvent" });
const credit = (id: string, body: Record<string, unknown>) =>
  send("POST", `/v1/admin/invoices/${id}/credit-notes`, staff, { reason: "Service credit", ...body });

const outbox = (customerId: string, type: string) =>
  adminQuery<{ payload: Record<string, unknown> }>(
    "SELECT payload FROM outbox_events WHERE customer_id = $1 AND type = $2 ORDER BY created_at",
    [customerId, type],
  );
const audits = (customerId: string, action: string, resourceId: string) =>
  adminQuery<{ actor_type: string; summary: string; data: Record<string, unknown> }>(
    "SELECT actor_type, summary, data FROM audit_events WHERE customer_id = $1 AND action = $2 AND resource_id = $3",
    [customerId, action, resourceId],
  );

describe("POST /v1/admin/invoices/{id}/payments", () => {
  it("adds partial payments up; the last one makes the invoice paid, audited and emitted as invoice.paid", async () => {
    const id = await openInvoice();
    const first = await pay(id, 100_000);
    expect(first.status).toBe(201);
    const payment = await first.json<Schemas["RecordedPayment"]>();
    expect(payment).toMatchObject({
      object: "payment",
      invoice_id: id,
      amount_cents: 100_000,
      method: "wire",
      source: "staff",
      invoice: { status: "open", amount_paid_cents: 100_000, amount_due_cents: TOTAL - 100_000 },
    });
    expect(await outbox(alice.customerId, "invoice.paid")).toEqual([]);

    const last = await (await pay(id, TOTAL - 100_000)).json<Schemas["RecordedPayment"]>();
    expect(last.invoice).toMatchObject({ status: "paid", amount_paid_cents: TOTAL, amount_due_cents: 0 });
    expect(last.invoice.paid_at).not.toBeNull();

    const events = (await outbox(alice.customerId, "invoice.paid")).filter((e) => e.payload.id === id);
    expect(events).toHaveLength(1);
    expect(events[0]!.payload).toMatchObject({ total_cents: TOTAL, amount_paid_cents: TOTAL, currency: "usd" });
    expect(await audits(alice.customerId, "payment.recorded", id)).toHaveLength(2);
    const [paidAudit] = await audits(alice.customerId, "invoice.paid", id);
    expect(paidAudit!.actor_type).toBe("staff");

    // The customer sees both payments on the invoice.
    const seen = await (await call(`/v1/invoices/${id}`, { token: alice.key })).json<Schemas["InvoiceWithLineItems"]>();
    expect(seen).toMatchObject({ status: "paid", amount_paid_cents: TOTAL, amount_due_cents: 0 });
    expect(seen.payments.map((p) => p.amount_cents)).toEqual([100_000, TOTAL - 100_000]);
    const list = await (await call("/v1/invoices", { token: alice.key })).json<Page<Invoice>>();
    expect(list.data.find((i) => i.id === id)).toMatchObject({ amount_due_cents: 0, amount_paid_cents: TOTAL });
  });

  it("refuses an over-payment with a 422 naming amount_cents and the amount due", async () => {
    const id = await openInvoice();
    await pay(id, 20_000);
    const problem = await expectProblem(await pay(id, TOTAL), { status: 422, field: "body.amount_cents" });
    expect(problem.detail).toContain(`amount due (${TOTAL - 20_000} cents)`);
    const [row] = await adminQuery<{ amount_paid_cents: string }>(
      "SELECT amount_paid_cents FROM invoices WHERE id = $1",
      [id],
    );
    expect(row!.amount_paid_cents).toBe("20000");
  });

  it("lets only one of two racing full payments through (the invoice row is locked)", async () => {
    const id = await openInvoice();
    const statuses = (await Promise.all([pay(id, TOTAL), pay(id, TOTAL)])).map((r) => r.status).sort();
    expect(statuses[0]).toBe(201);
    expect([409, 422]).toContain(statuses[1]);
    const [row] = await adminQuery<{ amount_paid_cents: string; n: number }>(
      "SELECT amount_paid_cents, (SELECT count(*)::int FROM payments WHERE invoice_id = $1) AS n FROM invoices WHERE id = $1",
      [id],
    );
    expect(row).toEqual({ amount_paid_cents: String(TOTAL), n: 1 });
  });

  it("refuses a payment on a paid invoice (409) and on a void invoice (409), naming the state", async () => {
    const paid = await openInvoice();
    await pay(paid, TOTAL);
    const onPaid = await expectProblem(await pay(paid, 1), { status: 409, type: "invalid-state" });
    expect(onPaid.detail).toMatch(/is paid/);

    const voided = await openInvoice();
    expect((await voidIt(voided)).status).toBe(200);
    const onVoid = await expectProblem(await pay(voided, 1_000), { status: 409, type: "invalid-state" });
    expect(onVoid.detail).toMatch(/is void/);
  });

  it("validates the body: positive integer cents, a known method, a timestamp", async () => {
    const id = await openInvoice();
    await expectProblem(await pay(id, 0), { status: 422, field: "body.amount_cents" });
    await expectProblem(await pay(id, 10.5), { status: 422, field: "body.amount_cents" });
    await expectProblem(
      await send("POST", `/v1/admin/invoices/${id}/payments`, staff, {
        amount_cents: 100,
        method: "bitcoin",
        received_at: "2026-11-20T14:00:00Z",
      }),
      { status: 422, field: "body.method" },
    );
  });

  it("answers 404 for an unknown invoice, and 403 to a customer admin (staff only)", async () => {
    await expectProblem(await pay("0192f1c4-6a3e-7b8a-9d2c-3f4e5a6b7c8d", 100), { status: 404 });
    const id = await openInvoice();
    const admin = await createUser(alice.customerId, { role: "admin" });
    const token = await login(admin.email, admin.password);
    await expectProblem(await pay(id, 100, token), { status: 403 });
    await expectProblem(await pay(id, 100, alice.key), { status: 403 });
  });
});

describe("payment terms", () => {
  it("are changed only in a staff context, even by the role that may write the column", async () => {
    const outcome = await asApiRole(async (client) => {
      try {
        await asCustomer(client, alice.customerId, () =>
          client.query("UPDATE customers SET payment_terms_days = 90 WHERE id = $1", [alice.customerId]),
        );
        return "changed";
      } catch (error) {
        return (error as Error).message;
      }
    });
    expect(outcome).toContain("can only be changed by SecureBase staff");
    const patched = await send("PATCH", `/v1/admin/customers/${alice.customerId}`, staff, { payment_terms_days: 45 });
    expect(await patched.json()).toMatchObject({ payment_terms_days: 45 });
    await send("PATCH", `/v1/admin/customers/${alice.customerId}`, staff, { payment_terms_days: 30 });
  });
});

describe("void and mark-uncollectible", () => {
  it("voids an open invoice: nothing due, audited with the reason, emitted as invoice.voided; a second void is a 409", async () => {
    const id = await openInvoice();
    const response = await voidIt(id);
    expect(response.status).toBe(200);
    expect(await response.json<Invoice>()).toMatchObject({ id, status: "void", amount_due_cents: 0 });
    const [event] = (await outbox(alice.customerId, "invoice.voided")).filter((e) => e.payload.id === id);
    expect(event!.payload).toMatchObject({ reason: "Issued in error", total_cents: TOTAL });
    const [audit] = await audits(alice.customerId, "invoice.voided", id);
    expect(audit).toMatchObject({ actor_type: "staff", data: { reason: "Issued in error" } });
    await expectProblem(await voidIt(id), { status: 409, type: "invalid-state" });
  });

  it("refuses to void a paid invoice, or one with payments (409)", async () => {
    const paid = await openInvoice();
    await pay(paid, TOTAL);
    expect((await expectProblem(await voidIt(paid), { status: 409 })).detail).toMatch(/is paid/);
    const partly = await openInvoice();
    await pay(partly, 1_000);
    expect((await expectProblem(await voidIt(partly), { status: 409 })).detail).toMatch(/has payments/);
  });

  it("marks an open invoice uncollectible (event and audit); it can still be paid, and then it is paid", async () => {
    const id = await openInvoice();
    const marked = await markUncollectible(id);
    expect(marked.status).toBe(200);
    expect(await marked.json<Invoice>()).toMatchObject({ status: "uncollectible", amount_due_cents: TOTAL });
    const [event] = (await outbox(alice.customerId, "invoice.marked_uncollectible")).filter((e) => e.payload.id === id);
    expect(event!.payload).toMatchObject({ amount_due_cents: TOTAL, reason: "Customer insolvent" });
    expect(await audits(alice.customerId, "invoice.marked_uncollectible", id)).toHaveLength(1);
    await expectProblem(await markUncollectible(id), { status: 409, type: "invalid-state" });

    const paid = await (await pay(id, TOTAL)).json<Schemas["RecordedPayment"]>();
    expect(paid.invoice.status).toBe("paid");
  });

  it("refuses to mark a void or paid invoice uncollectible (409), and requires a reason", async () => {
    const voided = await openInvoice();
    await voidIt(voided);
    await expectProblem(await markUncollectible(voided), { status: 409 });
    const id = await openInvoice();
    await expectProblem(await send("POST", `/v1/admin/invoices/${id}/void`, staff, {}), {
      status: 422,
      field: "body.reason",
    });
  });
});

describe("POST /v1/admin/invoices/{id}/credit-notes", () => {
  it("issues gap-free sequential SB-CN numbers and reduces the amount due", async () => {
    const id = await openInvoice();
    const first = await credit(id, { amount_cents: 10_000 });
    expect(first.status).toBe(201);
    const a = await first.json<Schemas["IssuedCreditNote"]>();
    expect(a.number).toMatch(new RegExp(`^SB-CN-${year}-\\d{6}$`));
    expect(a).toMatchObject({ amount_cents: 10_000, applied_cents: 10_000, to_balance_cents: 0 });
    expect(a.invoice).toMatchObject({ amount_credited_cents: 10_000, amount_due_cents: TOTAL - 10_000 });

    // A refused credit note burns no number.
    await expectProblem(await credit(id, { amount_cents: TOTAL }), { status: 422, field: "body.amount_cents" });
    const b = await (await credit(id, { amount_cents: 5_000 })).json<Schemas["IssuedCreditNote"]>();
    expect(Number(b.number.slice(-6))).toBe(Number(a.number.slice(-6)) + 1);

    const [seq] = await adminQuery<{ last_value: string }>(
      "SELECT last_value FROM credit_note_number_sequences WHERE year = $1",
      [year],
    );
    const numbers = await adminQuery<{ n: string }>(
      "SELECT substring(number FROM 12)::bigint AS n FROM credit_notes WHERE number LIKE $1 ORDER BY 1",
      [`SB-CN-${year}-%`],
    );
    expect(numbers.map((r) => Number(r.n))).toEqual(Array.from({ length: Number(seq!.last_value) }, (_, i) => i + 1));

    const [event] = (await outbox(alice.customerId, "credit_note.created")).filter((e) => e.payload.id === a.id);
    expect(event!.payload).toMatchObject({ number: a.number, invoice_id: id, amount_cents: 10_000 });
    expect(await audits(alice.customerId, "credit_note.issued", a.id)).toHaveLength(1);
  });

  it("never credits more than the invoice total overall (422)", async () => {
    const id = await openInvoice();
    await expectProblem(await credit(id, { amount_cents: TOTAL + 1 }), { status: 422, field: "body.amount_cents" });
    expect((await credit(id, { amount_cents: TOTAL - 100 })).status).toBe(201);
    await expectProblem(await credit(id, { amount_cents: 101 }), { status: 422, field: "body.amount_cents" });
  });

  it("credits line by line, at most what is left of each line", async () => {
    const id = await openInvoice();
    const invoice = await (await call(`/v1/invoices/${id}`, { token: alice.key })).json<
      Schemas["InvoiceWithLineItems"]
    >();
    const nat = invoice.line_items.find((l) => l.description === "NAT data processing")!;
    const note = await (await credit(id, { lines: [{ line_id: nat.id, amount_cents: 4_500 }] })).json<
      Schemas["IssuedCreditNote"]
    >();
    expect(note).toMatchObject({
      amount_cents: 4_500,
      lines: [{ line_id: nat.id, description: "NAT data processing", amount_cents: 4_500 }],
    });
    await expectProblem(await credit(id, { lines: [{ line_id: nat.id, amount_cents: 1 }] }), {
      status: 422,
      field: "body.lines.0",
    });
    const other = await openInvoice(bob);
    const bobs = await (await call(`/v1/invoices/${other}`, { token: bob.key })).json<
      Schemas["InvoiceWithLineItems"]
    >();
    await expectProblem(await credit(id, { lines: [{ line_id: bobs.line_items[0]!.id, amount_cents: 1 }] }), {
      status: 422,
      field: "body.lines.0",
    });
  });

  it("makes an open invoice credited to zero paid; credit beyond the amount due becomes credit balance", async () => {
    const id = await openInvoice(bob);
    await pay(id, TOTAL - 50_000);
    const note = await (await credit(id, { amount_cents: 80_000 })).json<Schemas["IssuedCreditNote"]>();
    expect(note).toMatchObject({ applied_cents: 50_000, to_balance_cents: 30_000 });
    expect(note.invoice).toMatchObject({ status: "paid", amount_due_cents: 0 });
    const [balance] = await adminQuery<{ balance_cents: string }>(
      "SELECT balance_cents FROM customer_credit_balances WHERE customer_id = $1",
      [bob.customerId],
    );
    expect(balance!.balance_cents).toBe("30000");
  });

  it("refuses to credit a void invoice (409)", async () => {
    const id = await openInvoice();
    await voidIt(id);
    await expectProblem(await credit(id, { amount_cents: 100 }), { status: 409, type: "invalid-state" });
  });

  it("needs exactly one of amount_cents or lines", async () => {
    const id = await openInvoice();
    await expectProblem(await credit(id, {}), { status: 422, field: "body.amount_cents" });
  });
});

describe("GET /v1/credit-notes", () => {
  it("lists and reads the caller's credit notes; another tenant's is a 404 like a missing one", async () => {
    const id = await openInvoice();
    const note = await (await credit(id, { amount_cents: 1_234 })).json<Schemas["IssuedCreditNote"]>();
    const list = await (await call("/v1/credit-notes", { token: alice.key })).json<Page<Schemas["CreditNote"]>>();
    expect(list.data.map((n) => n.id)).toContain(note.id);
    const one = await call(`/v1/credit-notes/${note.id}`, { token: alice.key });
    expect(await one.json()).toMatchObject({ id: note.id, number: note.number, amount_cents: 1_234 });
    const seen = await (await call(`/v1/invoices/${id}`, { token: alice.key })).json<Schemas["InvoiceWithLineItems"]>();
    expect(seen.credit_notes.map((n) => n.id)).toEqual([note.id]);

    await expectSameAsMissing(
      await call(`/v1/credit-notes/${note.id}`, { token: bob.key }),
      await call("/v1/credit-notes/0192f1c4-6a3e-7b8a-9d2c-3f4e5a6b7c8d", { token: bob.key }),
    );
    const bobs = await (await call("/v1/credit-notes", { token: bob.key })).json<Page<Schemas["CreditNote"]>>();
    expect(bobs.data.map((n) => n.id)).not.toContain(note.id);
  });

  it("renders a credit note as an HTML document (escaped, money as $1,234.56); another tenant's is a 404", async () => {
    const id = await openInvoice();
    const note = await (await credit(id, { amount_cents: 123_456, reason: "<b>Outage</b> credit" })).json<
      Schemas["IssuedCreditNote"]
    >();
    const response = await call(`/v1/credit-notes/${note.id}.html`, { token: alice.key });
    expect(response.status).toBe(200);
    expect(response.headers.get("content-security-policy")).toContain("default-src 'none'");
    const html = await response.text();
    expect(html).toContain(note.number);
    expect(html).toContain("-$1,234.56");
    expect(html).toContain("&lt;b&gt;Outage&lt;/b&gt; credit");
    expect(html).not.toContain("<b>Outage");
    await expectProblem(await call(`/v1/credit-notes/${note.id}.html`, { token: bob.key }), { status: 404 });
  });

  it("renders a credit note as a PDF that reads back with its number, seller and amounts; another tenant's is a 404", async () => {
    const id = await openInvoice();
    const note = await (await credit(id, { amount_cents: 123_456, reason: "Outage credit" })).json<
      Schemas["IssuedCreditNote"]
    >();
    const response = await call(`/v1/credit-notes/${note.id}.pdf`, { token: alice.key });
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("application/pdf");
    expect(response.headers.get("content-disposition")).toContain(`${note.number}.pdf`);
    const { text } = await readPdf(await response.arrayBuffer());
    expect(text).toContain(`Credit note ${note.number}`);
    expect(text).toContain("SecureBase Test Seller, LLC");
    expect(text).toContain("-$1,234.56");
    expect(text).toContain("Outage credit");
    await expectProblem(await call(`/v1/credit-notes/${note.id}.pdf`, { token: bob.key }), { status: 404 });
  });

  it("needs invoices:read (a support user or a key without it gets 403)", async () => {
    const { key } = await createTenant({ scopes: ["usage:read"] });
    await expectProblem(await call("/v1/credit-notes", { token: key }), { status: 403 });
    const support = await createUser(alice.customerId, { role: "support" });
    const token = await login(support.email, support.password);
    await expectProblem(await call("/v1/credit-notes", { token }), { status: 403 });
  });
});

describe("GET /v1/admin/customers/{id}/invoices", () => {
  it("requires a reason, and records every staff read in the customer's audit trail", async () => {
    const id = await openInvoice(bob);
    await pay(id, 1_000);
    await expectProblem(await call(`/v1/admin/customers/${bob.customerId}/invoices`, { token: staff }), {
      status: 400,
      field: "query.reason",
    });
    const reason = "Ticket 4711: disputed invoice";
    const response = await call(
      `/v1/admin/customers/${bob.customerId}/invoices?limit=100&reason=${encodeURIComponent(reason)}`,
      { token: staff },
    );
    expect(response.status).toBe(200);
    const page = await response.json<Page<Schemas["StaffInvoiceList"]["data"][number]>>();
    const listed = page.data.find((i) => i.id === id)!;
    expect(listed.payments.map((p) => p.amount_cents)).toEqual([1_000]);
    const reads = await adminQuery<{ actor_type: string; data: { reason: string } }>(
      "SELECT actor_type, data FROM audit_events WHERE customer_id = $1 AND action = 'billing.staff_read'",
      [bob.customerId],
    );
    expect(reads).toEqual([
      expect.objectContaining({ actor_type: "staff", data: expect.objectContaining({ reason }) }),
    ]);
  });

  it("is staff only (403 to a customer admin) and 404 for an unknown customer", async () => {
    const admin = await createUser(bob.customerId, { role: "admin" });
    const token = await login(admin.email, admin.password);
    await expectProblem(await call(`/v1/admin/customers/${bob.customerId}/invoices?reason=curious`, { token }), {
      status: 403,
    });
    await expectProblem(
      await call("/v1/admin/customers/0192f1c4-6a3e-7b8a-9d2c-3f4e5a6b7c8d/invoices?reason=unknown", { token: staff }),
      { status: 404 },
    );
  });
});
