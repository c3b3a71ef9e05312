// The payment provider's webhook (docs/billing.md, "Provider webhook"): a Stripe-style signature
// over the raw body with a 5-minute tolerance, either configured secret (rotation), each provider
// event applied once, and nothing applied for an unsigned, mis-signed or stale request.
import { beforeAll, describe, expect, it } from "vitest";
import { createInvoice, standardLines } from "../../dev/fixtures.ts";
import { signatureHeader } from "../../worker/payments/signature.ts";
import { adminQuery } from "../helpers/billing.ts";
import { asOwner } from "../helpers/database.ts";
import { expectProblem, type Schemas } from "../helpers/http.ts";
import { call, createTenant, type TestTenant } from "../helpers/tenants.ts";

// vitest.config.ts binds PAYMENT_WEBHOOK_SECRET to "whsec_test_current,whsec_test_previous".
const SECRET = "whsec_test_current";
const PREVIOUS = "whsec_test_previous";
const TOTAL = 221_940;

let tenant: TestTenant;
let month = 0;
let counter = 0;

beforeAll(async () => {
  tenant = await createTenant();
});

async function openInvoice(): Promise<{ id: string; number: string }> {
  month++;
  const number = `SB-W${Date.now().toString(36)}-${month}`;
  const id = await asOwner((client) =>
    createInvoice(client, tenant.customerId, {
      number,
      periodStart: `2001-${String(month).padStart(2, "0")}-01`,
      periodEnd: month === 12 ? "2002-01-01" : `2001-${String(month + 1).padStart(2, "0")}-01`,
      status: "open",
      lines: standardLines(200_000, 100, 1_000),
    }),
  );
  return { id, number };
}

const event = (data: Record<string, unknown>, id = `evt_${Date.now()}_${counter++}`) => ({
  id,
  type: "payment.succeeded",
  data: { amount_cents: 1_000, reference: "ch_test", received_at: "2026-11-20T14:00:00Z", ...data },
});

async function deliver(
  body: unknown,
  options: { secret?: string; at?: number; header?: string | null } = {},
): Promise<Response> {
  const raw = JSON.stringify(body);
  const at = options.at ?? Math.floor(Date.now() / 1000);
  const header =
    options.header === undefined ? await signatureHeader(options.secret ?? SECRET, raw, at) : options.header;
  return call("/v1/payments/webhook", {
    method: "POST",
    headers: { "content-type": "application/json", ...(header === null ? {} : { "payment-signature": header }) },
    body: raw,
  });
}

const paymentsOf = (invoiceId: string) =>
  adminQuery<{ amount_cents: string; source: string; provider_event_id: string }>(
    "SELECT amount_cents, source, provider_event_id FROM payments WHERE invoice_id = $1",
    [invoiceId],
  );

describe("POST /v1/payments/webhook", () => {
  it("applies a signed payment.succeeded event: a provider payment, audited, and paid when it covers the amount due", async () => {
    const invoice = await openInvoice();
    const body = event({ invoice_id: invoice.id, amount_cents: TOTAL });
    const response = await deliver(body);
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({
      received: true,
      duplicate: false,
      applied: true,
      invoice_status: "paid",
    });
    expect(await paymentsOf(invoice.id)).toEqual([
      { amount_cents: String(TOTAL), source: "provider", provider_event_id: body.id },
    ]);
    const audit = await adminQuery<{ actor_type: string; actor_id: string }>(
      "SELECT actor_type, actor_id FROM audit_events WHERE customer_id = $1 AND action = 'payment.recorded' AND resource_id = $2",
      [tenant.customerId, invoice.id],
    );
    expect(audit).toEqual([{ actor_type: "system", actor_id: "payment-provider" }]);
    const paid = await adminQuery(
      "SELECT 1 FROM outbox_events WHERE customer_id = $1 AND type = 'invoice.paid' AND payload->>'id' = $2",
      [tenant.customerId, invoice.id],
    );
    expect(paid).toHaveLength(1);
    // The customer sees it on the invoice.
    const seen = await (await call(`/v1/invoices/${invoice.id}`, { token: tenant.key })).json<
      Schemas["InvoiceWithLineItems"]
    >();
    expect(seen.payments).toEqual([expect.objectContaining({ source: "provider", amount_cents: TOTAL })]);
  });

  it("applies a replayed event id once: the replay answers 200 with duplicate: true", async () => {
    const invoice = await openInvoice();
    const body = event({ invoice_number: invoice.number, amount_cents: 5_000 });
    expect(await (await deliver(body)).json()).toMatchObject({ applied: true, duplicate: false });
    const replay = await deliver(body);
    expect(replay.status).toBe(200);
    expect(await replay.json()).toMatchObject({ applied: false, duplicate: true });
    // Even concurrently.
    const racing = await Promise.all([deliver(body), deliver(body)]);
    expect(racing.map((r) => r.status)).toEqual([200, 200]);
    expect(await paymentsOf(invoice.id)).toHaveLength(1);
  });

  it("accepts the previous secret during a rotation", async () => {
    const invoice = await openInvoice();
    const response = await deliver(event({ invoice_id: invoice.id }), { secret: PREVIOUS });
    expect(response.status).toBe(200);
    expect(await paymentsOf(invoice.id)).toHaveLength(1);
  });

  it.each([
    ["unsigned", { header: null }],
    ["signed with another secret", { secret: "whsec_attacker" }],
    ["with a malformed header", { header: "v1=abc" }],
    ["signed 6 minutes ago", { skew: -6 * 60 }],
    ["signed 6 minutes in the future", { skew: 6 * 60 }],
  ] as const)("refuses an event %s with a 401 problem and applies nothing", async (_what, options) => {
    const invoice = await openInvoice();
    // The timestamp is taken when the request is sent, not when the table above was built.
    const at = "skew" in options ? Math.floor(Date.now() / 1000) + options.skew : undefined;
    await expectProblem(await deliver(event({ invoice_id: invoice.id }), { ...options, at }), {
      status: 401,
      type: "invalid-signature",
    });
    expect(await paymentsOf(invoice.id)).toEqual([]);
  });

  it("refuses a signature over a different body (the amount changed after signing)", async () => {
    const invoice = await openInvoice();
    const signed = event({ invoice_id: invoice.id, amount_cents: 100 });
    const at = Math.floor(Date.now() / 1000);
    const header = await signatureHeader(SECRET, JSON.stringify(signed), at);
    const tampered = { ...signed, data: { ...signed.data, amount_cents: TOTAL } };
    await expectProblem(await deliver(tampered, { header }), { status: 401 });
    expect(await paymentsOf(invoice.id)).toEqual([]);
  });

  it("refuses an over-payment (422) and a payment on a void invoice (409) without storing the event", async () => {
    const invoice = await openInvoice();
    await expectProblem(await deliver(event({ invoice_id: invoice.id, amount_cents: TOTAL + 1 })), {
      status: 422,
      field: "body.amount_cents",
    });
    await adminQuery("UPDATE invoices SET status = 'void' WHERE id = $1", [invoice.id]);
    const body = event({ invoice_id: invoice.id });
    await expectProblem(await deliver(body), { status: 409 });
    expect(await adminQuery("SELECT 1 FROM provider_events WHERE id = $1", [body.id])).toEqual([]);
  });

  it("answers 404 for an unknown invoice, and acknowledges other event types without applying them", async () => {
    await expectProblem(await deliver(event({ invoice_number: "SB-1999-999999" })), { status: 404 });
    const invoice = await openInvoice();
    const other = { ...event({ invoice_id: invoice.id }), type: "payment.refunded" };
    expect(await (await deliver(other)).json()).toMatchObject({ received: true, applied: false });
    expect(await paymentsOf(invoice.id)).toEqual([]);
  });
});
