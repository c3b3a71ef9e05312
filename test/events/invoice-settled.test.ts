// Settlement events end to end: staff pay, void and credit invoices, and invoice.paid,
// invoice.voided and credit_note.created reach a subscribed webhook endpoint (verified with
// standardwebhooks) and the billing users' email, money written like the documents ($2,219.40).
import { describe, expect, it } from "vitest";
import { createInvoice, standardLines } from "../../dev/fixtures.ts";
import { eventCatalogue } from "../../worker/events/catalogue.ts";
import { asOwner } from "../helpers/database.ts";
import { send } from "../helpers/http.ts";
import { staffToken, userToken } from "../helpers/identity.ts";
import { configureReceiver, received, receiver, sentEmails } from "../helpers/sink.ts";
import { eventually } from "../helpers/wait.ts";
import { call, createTenant } from "../helpers/tenants.ts";

describe("invoice settlement events", () => {
  it("delivers invoice.paid, invoice.voided and credit_note.created to webhooks and emails billing users", async () => {
    const { customerId } = await createTenant();
    const [paid, voided] = await asOwner(async (client) => [
      await createInvoice(client, customerId, {
        number: `SB-EV-${customerId.slice(-8)}-1`,
        periodStart: "2003-01-01",
        periodEnd: "2003-02-01",
        status: "open",
        lines: standardLines(200_000, 100, 1_000),
      }),
      await createInvoice(client, customerId, {
        number: `SB-EV-${customerId.slice(-8)}-2`,
        periodStart: "2003-02-01",
        periodEnd: "2003-03-01",
        status: "open",
        lines: standardLines(200_000, 100, 1_000),
      }),
    ]);
    const { token } = await userToken(customerId, "admin");
    const billing = await userToken(customerId, "billing");
    const hook = await receiver();
    const created = await call("/v1/webhooks/endpoints", {
      method: "POST",
      token,
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ url: hook.url, event_types: ["invoice.paid", "invoice.voided", "credit_note.created"] }),
    });
    await configureReceiver(hook.name, { secrets: [(await created.json<{ secret: string }>()).secret] });

    const staff = (await staffToken()).token;
    const credited = await send("POST", `/v1/admin/invoices/${paid}/credit-notes`, staff, {
      reason: "Service credit",
      amount_cents: 1_940,
    });
    expect(credited.status).toBe(201);
    const payment = await send("POST", `/v1/admin/invoices/${paid}/payments`, staff, {
      amount_cents: 220_000,
      method: "wire",
      received_at: "2026-11-20T14:00:00Z",
    });
    expect(payment.status).toBe(201);
    expect((await send("POST", `/v1/admin/invoices/${voided}/void`, staff, { reason: "Duplicate" })).status).toBe(200);

    const deliveries = await eventually(async () => {
      const r = await received(hook.name);
      expect(r.length, "deliveries").toBe(3);
      return r;
    });
    expect(deliveries.every((d) => d.verified)).toBe(true);
    const bodies = deliveries.map((d) => JSON.parse(d.body) as { type: keyof typeof eventCatalogue; data: unknown });
    expect(bodies.map((b) => b.type).sort()).toEqual(["credit_note.created", "invoice.paid", "invoice.voided"]);
    for (const body of bodies) eventCatalogue[body.type].payload.parse(body.data);
    expect(bodies.find((b) => b.type === "invoice.paid")!.data).toMatchObject({ id: paid, total_cents: 221_940 });

    const mails = await eventually(async () => {
      const m = (await sentEmails()).filter((m) => m.body.Destination.ToAddresses.includes(billing.user.email));
      expect(m.length, "emails").toBeGreaterThanOrEqual(3);
      return m;
    });
    const subjects = mails.map((m) => m.body.Content.Simple.Subject.Data);
    expect(subjects).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^Invoice SB-EV-.* is paid$/),
        expect.stringMatching(/^Invoice SB-EV-.* was voided$/),
        expect.stringMatching(/^Credit note SB-CN-\d{4}-\d{6}: \$19\.40$/),
      ]),
    );
    const paidMail = mails.find((m) => m.body.Content.Simple.Subject.Data.endsWith("is paid"))!;
    expect(paidMail.body.Content.Simple.Body.Text.Data).toContain("($2,219.40)");
  });
});
