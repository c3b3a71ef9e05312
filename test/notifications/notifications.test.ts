// Notifications: invite and invoice email through the SES API (SigV4-checked by the local sink),
// in-app list/read/read-all, preferences (security mail locked on), 30-day retention.
import { createScheduledController } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { portalLink } from "../../worker/platform/portal-links.ts";
import { beforeAll, describe, expect, it } from "vitest";
import worker from "../../worker/index.ts";
import { sha256, toHex } from "../../worker/platform/encoding.ts";
import { as } from "../helpers/database.ts";
import { userToken, type TestUser } from "../helpers/identity.ts";
import { expectProblem, expectSameAsMissing } from "../helpers/http.ts";
import { sentEmails, type SentEmail } from "../helpers/sink.ts";
import { eventually, expectNothingAfter } from "../helpers/wait.ts";
import { call, createTenant, type TestTenant } from "../helpers/tenants.ts";

let tenant: TestTenant;
let admin: { user: TestUser; token: string };
let billing: { user: TestUser; token: string };
beforeAll(async () => {
  tenant = await createTenant();
  admin = await userToken(tenant.customerId, "admin");
  billing = await userToken(tenant.customerId, "billing");
});

const json = { "content-type": "application/json" };
const emailsTo = async (address: string) =>
  (await sentEmails()).filter((e) => e.body.Destination.ToAddresses.includes(address));

/** The email rows the consumer wrote for an invoice.created event, by the invoice's id. */
const emailRowsFor = async (invoiceId: string) =>
  (
    await as("admin", (client) =>
      client.query(
        "SELECT m.to_address, m.status FROM email_messages m JOIN outbox_events o ON o.id = m.event_id WHERE o.payload->>'id' = $1",
        [invoiceId],
      ),
    )
  ).rows as { to_address: string; status: string }[];

async function invoiceCreated(number: string, totalCents: number): Promise<string> {
  const invoiceId = crypto.randomUUID();
  await as("jobs", (client) =>
    client.query("INSERT INTO outbox_events (customer_id, type, payload) VALUES ($1, 'invoice.created', $2)", [
      tenant.customerId,
      {
        id: invoiceId,
        number,
        period_start: "2026-10-01",
        period_end: "2026-10-31",
        total_cents: totalCents,
        currency: "usd",
      },
    ]),
  );
  // The billing run's rows are published by the minute sweep.
  await worker.scheduled(
    createScheduledController({ scheduledTime: new Date(Date.now() + 60_000), cron: "* * * * *" }),
    env,
  );
  return invoiceId;
}

describe("email", () => {
  it("sends the invite email with its accept link through a SigV4-signed SES SendEmail, then keeps no readable token", async () => {
    const email = `invitee-${Date.now()}@example.com`;
    const response = await call("/v1/invites", {
      method: "POST",
      token: admin.token,
      headers: json,
      body: JSON.stringify({ email, role: "viewer" }),
    });
    expect(response.status).toBe(201);
    const { id } = await response.json<{ id: string }>();
    const [mail] = await eventually(async () => {
      const m = await emailsTo(email);
      expect(m.length > 0, "m.length > 0").toBe(true);
      return m;
    });
    // The email is the only place the token is given out: it is this invite's (its hash matches).
    const token = /accept-invite\?token=([A-Za-z0-9_-]{43})/.exec(mail!.body.Content.Simple.Body.Text.Data)?.[1] ?? "";
    const stored = await as(
      "admin",
      async (client) =>
        (await client.query("SELECT encode(token_hash, 'hex') AS h FROM user_invites WHERE id = $1", [id])).rows,
    );
    expect(stored).toEqual([{ h: toHex(await sha256(token)) }]);
    expect(mail!.signature_valid).toBe(true);
    expect(mail!.headers.authorization).toMatch(
      /^AWS4-HMAC-SHA256 Credential=AKIATESTSINK\/\d{8}\/us-east-1\/ses\/aws4_request, SignedHeaders=[^,]*host;[^,]*x-amz-date[^,]*, Signature=[0-9a-f]{64}$/,
    );
    expect(mail!.body.FromEmailAddress).toBe(env.EMAIL_FROM);
    expect(mail!.body.Content.Simple.Body.Text.Data).toContain(portalLink(env, `/accept-invite?token=${token}`));
    expect(mail!.body.Content.Simple.Body.Html.Data).toContain(
      `href="${portalLink(env, `/accept-invite?token=${token}`)}"`,
    );

    const rest = await eventually(async () => {
      const r = await as("admin", async (client) => ({
        outbox: (
          await client.query(
            "SELECT payload::text AS p, published_at FROM outbox_events WHERE payload->>'invite_id' = $1",
            [id],
          )
        ).rows,
        emails: (
          await client.query(
            "SELECT status, secret_ciphertext, data::text AS d FROM email_messages WHERE data->>'invite_id' = $1",
            [id],
          )
        ).rows,
      }));
      expect(r.emails[0]?.status === "sent", 'r.emails[0]?.status === "sent"').toBe(true);
      return r;
    });
    expect(rest.emails).toMatchObject([{ status: "sent", secret_ciphertext: null }]);
    expect(JSON.stringify(rest)).not.toContain(token);
    expect(rest.outbox[0]!.p).not.toContain("_sealed");
  });

  it("emails admins and billing users an invoice with its number, total and HTML link, and notifies them in-app", async () => {
    const invoiceId = await invoiceCreated("SB-2026-0042", 123_456);
    // (Signing in from a new device emailed them too: pick the invoice's email.)
    const mail = await eventually(async () => {
      const m = (await emailsTo(billing.user.email)).find((e) =>
        e.body.Content.Simple.Subject.Data.includes("SB-2026-0042"),
      );
      expect(m, "the invoice email").toBeDefined();
      return m;
    });
    const text = (mail as SentEmail).body.Content.Simple.Body.Text.Data;
    expect(mail!.body.Content.Simple.Subject.Data).toBe("Invoice SB-2026-0042: $1,234.56");
    expect(text).toContain(portalLink(env, `/invoices/${invoiceId}`));
    expect(
      (await emailsTo(admin.user.email)).some((e) => e.body.Content.Simple.Subject.Data.includes("SB-2026-0042")),
    ).toBe(true);
    const list = await (await call("/v1/notifications?unread=true", { token: billing.token })).json<{
      data: { event_type: string; category: string; title: string }[];
    }>();
    expect(list.data.find((n) => n.event_type === "invoice.created")).toMatchObject({
      category: "billing",
      title: "Invoice SB-2026-0042: $1,234.56",
    });
  });

  it("respects a switched-off preference; security mail (key revocation) cannot be switched off", async () => {
    const off = await call("/v1/notifications/preferences", {
      method: "PUT",
      token: billing.token,
      headers: json,
      body: JSON.stringify({ preferences: [{ event_type: "invoice.created", channel: "email", enabled: false }] }),
    });
    expect(off.status).toBe(200);
    const prefs = await off.json<{
      data: { event_type: string; channel: string; enabled: boolean; locked: boolean }[];
    }>();
    expect(prefs.data.find((p) => p.event_type === "invoice.created" && p.channel === "email")).toMatchObject({
      enabled: false,
      locked: false,
    });
    expect(prefs.data.find((p) => p.event_type === "api_key.revoked" && p.channel === "email")).toMatchObject({
      enabled: true,
      locked: true,
    });

    const invoiceId = await invoiceCreated("SB-2026-0043", 100);
    // The consumer writes every recipient's email row in one transaction: once the admin's has
    // been sent, the billing user's would exist too.
    await expectNothingAfter(
      async () => {
        expect(await emailRowsFor(invoiceId)).toContainEqual({ to_address: admin.user.email, status: "sent" });
        expect(
          (await emailsTo(admin.user.email)).some((e) => e.body.Content.Simple.Subject.Data.includes("SB-2026-0043")),
        ).toBe(true);
      },
      async () => {
        expect((await emailRowsFor(invoiceId)).map((r) => r.to_address)).not.toContain(billing.user.email);
        expect(
          (await emailsTo(billing.user.email)).some((e) => e.body.Content.Simple.Subject.Data.includes("SB-2026-0043")),
        ).toBe(false);
      },
    );

    await expectProblem(
      await call("/v1/notifications/preferences", {
        method: "PUT",
        token: admin.token,
        headers: json,
        body: JSON.stringify({ preferences: [{ event_type: "api_key.revoked", channel: "email", enabled: false }] }),
      }),
      { status: 422, type: "validation-error", field: "body.preferences.0.enabled" },
    );
    await expectProblem(await call("/v1/notifications/preferences", { token: tenant.key }), { status: 403 });
  });

  it("refuses the same event type and channel twice in one change with a 422 naming the repeat (found by the fuzzer: was a 500)", async () => {
    const repeated = { event_type: "invoice.created", channel: "email" };
    const problem = await expectProblem(
      await call("/v1/notifications/preferences", {
        method: "PUT",
        token: billing.token,
        headers: json,
        body: JSON.stringify({
          preferences: [
            { ...repeated, enabled: true },
            { event_type: "invoice.created", channel: "in_app", enabled: true },
            { ...repeated, enabled: false },
          ],
        }),
      }),
      { status: 422, type: "validation-error", field: "body.preferences.2" },
    );
    expect(JSON.stringify(problem)).toContain("appears more than once");
  });
});

describe("in-app notifications", () => {
  it("lists unread, marks one and then all read; another user's notification looks missing", async () => {
    await invoiceCreated("SB-2026-0050", 5000);
    const unread = await eventually(async () => {
      const l = await (await call("/v1/notifications?unread=true&limit=100", { token: admin.token })).json<{
        data: { id: string; title: string }[];
      }>();
      expect(
        l.data.some((n) => n.title.includes("SB-2026-0050")),
        'l.data.some((n) => n.title.includes("SB-2026-0050"))',
      ).toBe(true);
      return l;
    });
    const one = unread.data.find((n) => n.title.includes("SB-2026-0050"))!;
    const read = await call(`/v1/notifications/${one.id}/read`, { method: "POST", token: admin.token });
    expect(await read.json()).toMatchObject({ id: one.id, read_at: expect.any(String) });
    const billingsOwn = await (await call("/v1/notifications?limit=100", { token: billing.token })).json<{
      data: { id: string }[];
    }>();
    await expectSameAsMissing(
      await call(`/v1/notifications/${billingsOwn.data[0]!.id}/read`, { method: "POST", token: admin.token }),
      await call(`/v1/notifications/0192f1c4-6a3e-7b8a-9d2c-3f4e5a6b7c8d/read`, { method: "POST", token: admin.token }),
    );
    const audited = await as("admin", (client) =>
      client.query("SELECT action FROM audit_events WHERE resource_id = $1", [one.id]),
    );
    expect(audited.rows).toEqual([{ action: "notification.read" }]);
    const all = await call("/v1/notifications/read-all", { method: "POST", token: admin.token });
    expect((await all.json<{ updated: number }>()).updated).toBeGreaterThanOrEqual(0);
    const after = await (await call("/v1/notifications?unread=true", { token: admin.token })).json<{
      data: unknown[];
    }>();
    expect(after.data).toEqual([]);
    await expectProblem(await call("/v1/notifications"), { status: 401 });
  });

  it("purges notifications past their 30 days in the hourly sweep", async () => {
    const id = await as("admin", async (client) => {
      const { rows } = await client.query(
        "INSERT INTO notifications (customer_id, user_id, category, event_type, title, body, created_at, expires_at) VALUES ($1, $2, 'billing', 'invoice.created', 'old', 'old', now() - interval '31 days', now() - interval '1 day') RETURNING id",
        [tenant.customerId, admin.user.id],
      );
      return rows[0]!.id as string;
    });
    await worker.scheduled(createScheduledController({ scheduledTime: new Date(), cron: "0 * * * *" }), env);
    const { rows } = await as("admin", (client) => client.query("SELECT 1 FROM notifications WHERE id = $1", [id]));
    expect(rows).toEqual([]);
  });
});
