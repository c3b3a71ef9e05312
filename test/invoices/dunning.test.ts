// Dunning (docs/billing.md, "Dunning"): the daily job, run at chosen times, reminds a customer's
// billing users (admin and billing roles) 1, 7 and 14 days past due, each once however often it
// runs; at 30 days the customer is marked past due (audited) and staff are emailed; paying the
// invoice clears the mark in the payment's transaction. Not-yet-due and paid invoices, and other
// tenants, get nothing. Invoices here fall due in 1990, so other files' open invoices (due in 2000
// and later) are not yet due at the times the job runs.
import { createScheduledController } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { asCustomer, createInvoice, standardLines } from "../../dev/fixtures.ts";
import { seedDemoPastDue } from "../../dev/seed/settlement.ts";
import { formatCents } from "../../worker/platform/money.ts";
import worker from "../../worker/index.ts";
import { adminQuery } from "../helpers/billing.ts";
import { asOwner } from "../helpers/database.ts";
import { createUser, staffToken, type TestUser } from "../helpers/identity.ts";
import { send } from "../helpers/http.ts";
import { sentEmails } from "../helpers/sink.ts";
import { createTenant, type TestTenant } from "../helpers/tenants.ts";
import { eventually } from "../helpers/wait.ts";

const TOTAL = 221_940; // the worked example of docs/billing.md
const DUE = Date.parse("1990-01-01T00:00:00Z");
const DAY = 86_400_000;
const runAt = (days: number) =>
  worker.scheduled(
    createScheduledController({ cron: "0 6 * * *", scheduledTime: DUE + days * DAY + 6 * 3600_000 }),
    env,
  );

let tenant: TestTenant;
let other: TestTenant;
let admin: TestUser;
let billing: TestUser;
let developer: TestUser;
let staff: { user: TestUser; token: string };
let late: { id: string; number: string };
let notYetDue: { id: string; number: string };
let paid: { id: string; number: string };
let otherInvoice: { id: string; number: string };
let seq = 0;

async function invoice(
  of: TestTenant,
  status: "open" | "paid",
  dueAt: string,
): Promise<{ id: string; number: string }> {
  const number = `SB-D${Date.now().toString(36)}-${seq++}`;
  const id = await asOwner(async (client) => {
    const id = await createInvoice(client, of.customerId, {
      number,
      periodStart: `1989-${String((seq % 12) + 1).padStart(2, "0")}-01`,
      periodEnd: `1989-${String((seq % 12) + 1).padStart(2, "0")}-28`,
      status,
      lines: standardLines(200_000, 100, 1_000),
    });
    await asCustomer(client, of.customerId, () =>
      client.query("UPDATE invoices SET due_at = $2::timestamptz WHERE id = $1", [id, dueAt]),
    );
    return id;
  });
  return { id, number };
}

const emailsAbout = async (text: string) =>
  (await sentEmails()).filter((e) => e.body.Content.Simple.Subject.Data.includes(text));
const recipients = async (text: string) =>
  (await emailsAbout(text)).flatMap((e) => e.body.Destination.ToAddresses).sort();
const reminders = (invoiceId: string) =>
  adminQuery<{ stage: string }>("SELECT stage FROM dunning_reminders WHERE invoice_id = $1 ORDER BY sent_at", [
    invoiceId,
  ]);
const pastDueSince = async (customerId: string) =>
  (
    await adminQuery<{ past_due_since: Date | null }>("SELECT past_due_since FROM customers WHERE id = $1", [
      customerId,
    ])
  )[0]!.past_due_since;

beforeAll(async () => {
  staff = await staffToken();
  tenant = await createTenant();
  other = await createTenant();
  admin = await createUser(tenant.customerId, { role: "admin" });
  billing = await createUser(tenant.customerId, { role: "billing" });
  developer = await createUser(tenant.customerId, { role: "developer" });
  await createUser(other.customerId, { role: "billing" });
  late = await invoice(tenant, "open", "1990-01-01T00:00:00Z");
  // Due in the future (at every run time and now): never reminded, and it does not keep the mark.
  const future = new Date(Date.now() + 10 * DAY).toISOString();
  notYetDue = await invoice(tenant, "open", future);
  paid = await invoice(tenant, "paid", "1990-01-01T00:00:00Z");
  otherInvoice = await invoice(other, "open", future);
});

describe("dunning (daily Cron job)", () => {
  it("reminds billing users once per stage (1, 7, 14 days), marks the customer past due at 30 days, and payment clears it", async () => {
    const billingUsers = [admin.email, billing.email].sort();

    // Day 0 (due today, not a day late): nothing.
    await runAt(0);
    expect(await reminders(late.id)).toEqual([]);

    // Day 1, run twice at once and once more: one email per billing user, not to the developer.
    await Promise.all([runAt(1), runAt(1)]);
    await runAt(1);
    await eventually(async () => expect(await recipients(late.number)).toEqual(billingUsers));
    const [first] = await emailsAbout(late.number);
    expect(first!.body.Content.Simple.Subject.Data).toBe(
      `Invoice ${late.number} is overdue: ${formatCents(TOTAL)} due`,
    );
    expect(first!.body.Content.Simple.Body.Text.Data).toContain(`${env.PUBLIC_API_URL}/invoices/${late.id}`);
    expect(await recipients(late.number)).not.toContain(developer.email);

    await runAt(7);
    await runAt(8);
    await eventually(async () => expect(await recipients(late.number)).toHaveLength(4));
    await runAt(14);
    await runAt(15);
    await eventually(async () => expect(await recipients(late.number)).toHaveLength(6));
    expect((await reminders(late.id)).map((r) => r.stage)).toEqual(["day_1", "day_7", "day_14"]);
    expect(await pastDueSince(tenant.customerId)).toBeNull();

    // Day 30: past due, audited as the system, staff emailed (once, though the job runs again).
    await runAt(30);
    await runAt(31);
    expect(await pastDueSince(tenant.customerId)).not.toBeNull();
    const audits = await adminQuery<{ actor_type: string; summary: string }>(
      "SELECT actor_type, summary FROM audit_events WHERE customer_id = $1 AND action = 'customer.past_due'",
      [tenant.customerId],
    );
    expect(audits).toHaveLength(1);
    expect(audits[0]).toMatchObject({ actor_type: "system" });
    expect(audits[0]!.summary).toContain(late.number);
    const staffSubject = `Customer Tenant`;
    await eventually(async () => {
      const toStaff = (await emailsAbout(staffSubject)).filter(
        (e) =>
          e.body.Destination.ToAddresses.includes(staff.user.email) &&
          e.body.Content.Simple.Body.Text.Data.includes(tenant.customerId),
      );
      expect(toStaff).toHaveLength(1);
      expect(toStaff[0]!.body.Content.Simple.Subject.Data).toContain(`is past due: ${formatCents(TOTAL)}`);
    });
    // No fourth reminder to the customer at 30 days.
    expect(await recipients(late.number)).toHaveLength(6);

    // Paying the invoice clears the mark in the same transaction.
    const payment = await send("POST", `/v1/admin/invoices/${late.id}/payments`, staff.token, {
      amount_cents: TOTAL,
      method: "wire",
      reference: "WIRE-LATE",
      received_at: "2026-11-20T14:00:00Z",
    });
    expect(payment.status).toBe(201);
    expect(await pastDueSince(tenant.customerId)).toBeNull();
  });

  it("leaves not-yet-due and paid invoices, and other tenants, alone", async () => {
    await runAt(45);
    expect(await reminders(notYetDue.id)).toEqual([]);
    expect(await reminders(paid.id)).toEqual([]);
    expect(await reminders(otherInvoice.id)).toEqual([]);
    expect(await emailsAbout(notYetDue.number)).toEqual([]);
    expect(await emailsAbout(paid.number)).toEqual([]);
    expect(await emailsAbout(otherInvoice.number)).toEqual([]);
    expect(await pastDueSince(other.customerId)).toBeNull();
  });

  it("voiding the last late invoice clears the mark too", async () => {
    const again = await invoice(tenant, "open", "1990-01-01T00:00:00Z");
    await runAt(60);
    expect(await pastDueSince(tenant.customerId)).not.toBeNull();
    const voided = await send("POST", `/v1/admin/invoices/${again.id}/void`, staff.token, {
      reason: "Issued in error",
    });
    expect(voided.status).toBe(200);
    expect(await pastDueSince(tenant.customerId)).toBeNull();
  });

  it("the demo seed leaves a customer as the job would: reminders at 1, 7, 14 and 30 days, past due", async () => {
    const demo = await createTenant();
    const lateDemo = await invoice(demo, "open", new Date().toISOString());
    const seeded = await asOwner((client) => seedDemoPastDue(client, { id: demo.customerId, name: "Demo" }));
    expect(seeded).toEqual([expect.stringContaining(lateDemo.number)]);
    expect((await reminders(lateDemo.id)).map((r) => r.stage)).toEqual(["day_1", "day_7", "day_14", "day_30"]);
    expect(await pastDueSince(demo.customerId)).not.toBeNull();
    // Idempotent: a second seed finds nothing to do.
    expect(await asOwner((client) => seedDemoPastDue(client, { id: demo.customerId, name: "Demo" }))).toEqual([]);
  });
});
