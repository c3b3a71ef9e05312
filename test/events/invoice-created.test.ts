// The billing run's invoice.created events, end to end: the run writes the outbox rows in its
// own transaction, the minute sweep publishes them, and they reach a webhook endpoint (verified
// with standardwebhooks) and the billing users' email (number, total, HTML link).
import { createScheduledController } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { portalLink } from "../../worker/platform/portal-links.ts";
import { describe, expect, it } from "vitest";
import worker from "../../worker/index.ts";
import { eventCatalogue } from "../../worker/events/catalogue.ts";
import { formatCents } from "../../worker/platform/money.ts";
import { backdate, ingestAsJobs, invoicesFor } from "../helpers/billing.ts";
import { staffToken, userToken } from "../helpers/identity.ts";
import { configureReceiver, received, receiver, sentEmails } from "../helpers/sink.ts";
import { eventually } from "../helpers/wait.ts";
import { call, createTenant } from "../helpers/tenants.ts";

describe("invoice.created from the monthly billing run", () => {
  it("is delivered to subscribed endpoints and emailed to billing users with its number, total and HTML link", async () => {
    const { customerId } = await createTenant();
    await backdate(customerId, "2024-03-01");
    await ingestAsJobs([
      { customer_id: customerId, metric: "log_storage_gb_month", quantity: "100", occurred_at: "2024-03-10T00:00:00Z" },
      { customer_id: customerId, metric: "nat_processing_gb", quantity: "1000", occurred_at: "2024-03-20T00:00:00Z" },
    ]);
    const { token } = await userToken(customerId, "admin");
    const billing = await userToken(customerId, "billing");
    const hook = await receiver();
    const created = await call("/v1/webhooks/endpoints", {
      method: "POST",
      token,
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ url: hook.url, event_types: ["invoice.created"] }),
    });
    await configureReceiver(hook.name, { secrets: [(await created.json<{ secret: string }>()).secret] });

    const staff = (await staffToken()).token;
    const run = await call("/v1/admin/billing-runs", {
      method: "POST",
      token: staff,
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ period: "2024-03" }),
    });
    expect(run.status).toBe(201);
    const [invoice] = await invoicesFor([customerId], "2024-03-01");
    expect(invoice).toBeDefined();

    await worker.scheduled(
      createScheduledController({ scheduledTime: new Date(Date.now() + 60_000), cron: "* * * * *" }),
      env,
    );
    const [delivery] = await eventually(async () => {
      const r = await received(hook.name);
      expect(r.length > 0, "r.length > 0").toBe(true);
      return r;
    });
    expect(delivery!.verified).toBe(true);
    const body = JSON.parse(delivery!.body) as { type: string; data: Record<string, unknown> };
    expect(body.type).toBe("invoice.created");
    expect(eventCatalogue["invoice.created"].payload.parse(body.data)).toEqual({
      id: invoice!.id,
      number: invoice!.number,
      period_start: "2024-03-01",
      period_end: "2024-04-01",
      total_cents: Number(invoice!.total_cents),
      currency: "usd",
    });

    // The billing user's sign-in from a new device was emailed too: wait for the invoice's email.
    const mails = await eventually(async () => {
      const m = (await sentEmails()).filter(
        (m) =>
          m.body.Destination.ToAddresses.includes(billing.user.email) &&
          m.body.Content.Simple.Subject.Data.startsWith("Invoice "),
      );
      expect(m.length > 0, "an invoice email").toBe(true);
      return m;
    });
    expect(mails[0]!.body.Content.Simple.Subject.Data).toBe(
      `Invoice ${invoice!.number}: ${formatCents(Number(invoice!.total_cents))}`,
    );
    expect(mails[0]!.body.Content.Simple.Body.Text.Data).toContain(portalLink(env, `/invoices/${invoice!.id}`));
  });
});
