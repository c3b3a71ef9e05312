// Dunning suspension (docs/billing.md, "Suspension"): with DUNNING_SUSPEND_AT=past_due, a customer
// the dunning job marked past due gets 402 account-past-due on its keys and sessions, except what
// settling needs (its invoices, credit notes, billing, /v1/me, /v1/customer, notifications,
// sign-in/out); staff, platform keys and other customers are not refused; a settlement that clears
// past due (staff payment, provider webhook, credit note) lifts it on the next request, audited.
// With `none` (the default) nothing is refused. An unknown value fails the job and suspends nobody.
//
// The setting is passed per request (worker.fetch with an env override), as other settings are.
// Invoices here fall due in 1980 and the job runs in 1980, so the 1990 invoices of
// test/invoices/dunning.test.ts (same database when in the same lane) are not yet due at these runs.
import { createExecutionContext, createScheduledController, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { asCustomer, createInvoice, DEFAULT_SCOPES, standardLines } from "../../dev/fixtures.ts";
import { PAST_DUE_MARK_PREFIX } from "../../worker/auth/past-due.ts";
import { runDunning } from "../../worker/invoices/dunning.ts";
import { signatureHeader } from "../../worker/payments/signature.ts";
import { formatCents } from "../../worker/platform/money.ts";
import worker from "../../worker/index.ts";
import { adminQuery } from "../helpers/billing.ts";
import { asOwner } from "../helpers/database.ts";
import { staffToken, userToken } from "../helpers/identity.ts";
import { BASE_URL, expectProblem } from "../helpers/http.ts";
import { createTenant, type TestTenant } from "../helpers/tenants.ts";

const TOTAL = 221_940; // the worked example of docs/billing.md
const DUE = Date.parse("1980-01-01T00:00:00Z");
const DAY = 86_400_000;
const PAST_DUE_RUN = new Date(DUE + 31 * DAY + 6 * 3600_000);
const SCOPES = [...DEFAULT_SCOPES, "api_keys:read", "api_keys:write"];

type Setting = "none" | "past_due" | string | undefined;
const withSetting = (setting: Setting) => ({ ...env, DUNNING_SUSPEND_AT: setting });

/** A request to the Worker under DUNNING_SUSPEND_AT = `setting`. */
async function request(
  setting: Setting,
  method: string,
  path: string,
  token: string,
  body?: unknown,
): Promise<Response> {
  const ctx = createExecutionContext();
  const response = await worker.fetch(
    new Request(`${BASE_URL}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${token}`,
        ...(body === undefined ? {} : { "content-type": "application/json" }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    }),
    withSetting(setting),
    ctx,
  );
  await waitOnExecutionContext(ctx);
  return response;
}

const runJob = (setting: Setting) =>
  worker.scheduled(
    createScheduledController({ cron: "0 6 * * *", scheduledTime: PAST_DUE_RUN.getTime() }),
    withSetting(setting),
  );

let seq = 0;
async function lateInvoice(of: TestTenant): Promise<{ id: string; number: string }> {
  const number = `SB-S${Date.now().toString(36)}-${seq++}`;
  const id = await asOwner(async (client) => {
    const id = await createInvoice(client, of.customerId, {
      number,
      periodStart: `1979-${String((seq % 12) + 1).padStart(2, "0")}-01`,
      periodEnd: `1979-${String((seq % 12) + 1).padStart(2, "0")}-28`,
      status: "open",
      lines: standardLines(200_000, 100, 1_000),
    });
    await asCustomer(client, of.customerId, () =>
      client.query("UPDATE invoices SET due_at = $2::timestamptz WHERE id = $1", [id, new Date(DUE).toISOString()]),
    );
    return id;
  });
  return { id, number };
}

const pastDueSince = async (customerId: string) =>
  (
    await adminQuery<{ past_due_since: Date | null }>("SELECT past_due_since FROM customers WHERE id = $1", [
      customerId,
    ])
  )[0]!.past_due_since;
const audits = (customerId: string, action: string) =>
  adminQuery<{ actor_type: string; actor_id: string; summary: string }>(
    "SELECT actor_type, actor_id, summary FROM audit_events WHERE customer_id = $1 AND action = $2 ORDER BY seq",
    [customerId, action],
  );
const keyCount = async (customerId: string) =>
  Number(
    (await adminQuery<{ n: string }>("SELECT count(*) AS n FROM api_keys WHERE customer_id = $1", [customerId]))[0]!.n,
  );
const newKey = (name: string) => ({ name, scopes: ["usage:read"] });

let staff: { token: string };
let tenant: TestTenant;
let session: string;
let late: { id: string; number: string };
let other: TestTenant;

beforeAll(async () => {
  staff = await staffToken();
  tenant = await createTenant({ scopes: SCOPES });
  session = (await userToken(tenant.customerId, "admin")).token;
  other = await createTenant({ scopes: SCOPES });
  late = await lateInvoice(tenant);
  // Marked past due by the job (under past_due, so its audit says service is suspended).
  await runJob("past_due");
});

describe("DUNNING_SUSPEND_AT=past_due", () => {
  it("the job marks the customer past due and audits the suspension", async () => {
    expect(await pastDueSince(tenant.customerId)).not.toBeNull();
    const [marked] = await audits(tenant.customerId, "customer.past_due");
    expect(marked).toMatchObject({ actor_type: "system", actor_id: "dunning" });
    expect(marked!.summary).toContain("API access suspended until paid");
  });

  it("refuses the past-due customer's API key and session with 402, naming the sum and the invoices page; nothing is written", async () => {
    const keysBefore = await keyCount(tenant.customerId);
    for (const [method, path, token, body] of [
      ["GET", "/v1/usage", tenant.key, undefined],
      ["POST", "/v1/api-keys", tenant.key, newKey("refused")],
      ["GET", "/v1/api-keys", session, undefined],
      ["POST", "/v1/api-keys", session, newKey("refused too")],
    ] as const) {
      const problem = await expectProblem(await request("past_due", method, path, token, body), {
        status: 402,
        type: "account-past-due",
      });
      expect(problem.detail).toContain(formatCents(TOTAL));
      expect(problem.detail).toContain(late.number);
      expect(problem.detail).toContain(`${env.PUBLIC_API_URL}/invoices`);
    }
    expect(await keyCount(tenant.customerId)).toBe(keysBefore);
  });

  it("still answers what settling needs: invoices, credit notes, billing, /v1/me, /v1/customer, notifications", async () => {
    const invoice = await request("past_due", "GET", `/v1/invoices/${late.id}`, tenant.key);
    expect(invoice.status).toBe(200);
    expect(await invoice.json()).toMatchObject({ number: late.number, amount_due_cents: TOTAL });
    for (const path of [
      "/v1/invoices",
      "/v1/credit-notes",
      "/v1/billing/details",
      "/v1/me",
      "/v1/customer",
      "/v1/notifications",
    ]) {
      const response = await request("past_due", "GET", path, session);
      expect(response.status, `${path}: ${await response.clone().text()}`).toBe(200);
    }
  });

  it("refuses on a mark another isolate wrote (KV only): a read is replaced by the 402, a write never runs", async () => {
    const state = { since: "1980-01-31T06:00:00.000Z", amount_due_cents: 12_345, invoice_numbers: ["SB-1980-000001"] };
    // Two customers, so that each request is the first of its customer here (no memory yet).
    const [reader, writer] = [await createTenant({ scopes: SCOPES }), await createTenant({ scopes: SCOPES })];
    for (const t of [reader, writer])
      await env.AUTH_CACHE.put(`${PAST_DUE_MARK_PREFIX}${t.customerId}`, JSON.stringify(state));
    const read = await expectProblem(await request("past_due", "GET", "/v1/usage", reader.key), {
      status: 402,
      type: "account-past-due",
    });
    expect(read.detail).toContain(formatCents(12_345));
    expect(read.detail).toContain("SB-1980-000001");
    const keysBefore = await keyCount(writer.customerId);
    await expectProblem(await request("past_due", "POST", "/v1/api-keys", writer.key, newKey("refused")), {
      status: 402,
      type: "account-past-due",
    });
    expect(await keyCount(writer.customerId)).toBe(keysBefore);
  });

  it("never refuses staff or other customers", async () => {
    expect((await request("past_due", "GET", `/v1/admin/customers/${tenant.customerId}`, staff.token)).status).toBe(
      200,
    );
    expect((await request("past_due", "GET", "/v1/usage", other.key)).status).toBe(200);
  });

  it("recording the payment lifts it on the very next request, audited as the dunning system", async () => {
    const payment = await request("past_due", "POST", `/v1/admin/invoices/${late.id}/payments`, staff.token, {
      amount_cents: TOTAL,
      method: "wire",
      reference: "WIRE-SUSPENDED",
      received_at: "2026-11-20T14:00:00Z",
    });
    expect(payment.status).toBe(201);
    expect(await pastDueSince(tenant.customerId)).toBeNull();
    expect(await env.AUTH_CACHE.get(`${PAST_DUE_MARK_PREFIX}${tenant.customerId}`)).toBeNull();
    expect((await request("past_due", "GET", "/v1/usage", tenant.key)).status).toBe(200);
    expect((await request("past_due", "POST", "/v1/api-keys", tenant.key, newKey("after paying"))).status).toBe(201);
    const [cleared] = await audits(tenant.customerId, "customer.past_due_cleared");
    expect(cleared).toMatchObject({ actor_type: "system", actor_id: "dunning" });
    expect(cleared!.summary).toContain(late.number);
  });

  it("a provider webhook payment and a credit note to zero lift it too", async () => {
    const viaWebhook = await createTenant({ scopes: SCOPES });
    const viaCredit = await createTenant({ scopes: SCOPES });
    const [paidLate, creditedLate] = [await lateInvoice(viaWebhook), await lateInvoice(viaCredit)];
    await runJob("past_due");
    for (const t of [viaWebhook, viaCredit])
      await expectProblem(await request("past_due", "GET", "/v1/usage", t.key), {
        status: 402,
        type: "account-past-due",
      });

    const raw = JSON.stringify({
      id: `evt_suspension_${Date.now()}`,
      type: "payment.succeeded",
      data: { invoice_id: paidLate.id, amount_cents: TOTAL, reference: "ch_late" },
    });
    const ctx = createExecutionContext();
    const delivered = await worker.fetch(
      new Request(`${BASE_URL}/v1/payments/webhook`, {
        method: "POST",
        headers: {
          "content-type": "application/json",
          "payment-signature": await signatureHeader("whsec_test_current", raw, Math.floor(Date.now() / 1000)),
        },
        body: raw,
      }),
      withSetting("past_due"),
      ctx,
    );
    await waitOnExecutionContext(ctx);
    expect(delivered.status).toBe(200);
    const credited = await request(
      "past_due",
      "POST",
      `/v1/admin/invoices/${creditedLate.id}/credit-notes`,
      staff.token,
      {
        reason: "Goodwill",
        amount_cents: TOTAL,
      },
    );
    expect(credited.status).toBe(201);

    for (const t of [viaWebhook, viaCredit]) {
      expect((await request("past_due", "GET", "/v1/usage", t.key)).status).toBe(200);
      expect(await audits(t.customerId, "customer.past_due_cleared")).toHaveLength(1);
    }
  });
});

describe("DUNNING_SUSPEND_AT=none and unknown values", () => {
  let still: TestTenant;

  beforeAll(async () => {
    still = await createTenant({ scopes: SCOPES });
    await lateInvoice(still);
    await runJob("none");
  });

  it("none (the default): a past-due customer is marked but nothing is refused", async () => {
    expect(await pastDueSince(still.customerId)).not.toBeNull();
    const [marked] = await audits(still.customerId, "customer.past_due");
    expect(marked!.summary).not.toContain("suspended");
    for (const setting of ["none", undefined]) {
      expect((await request(setting, "GET", "/v1/usage", still.key)).status).toBe(200);
      expect((await request(setting, "POST", "/v1/api-keys", still.key, newKey(`none ${setting}`))).status).toBe(201);
    }
    // Switching the setting on takes effect at once: the job keeps the mark either way.
    await expectProblem(await request("past_due", "GET", "/v1/usage", still.key), {
      status: 402,
      type: "account-past-due",
    });
  });

  it("an unknown value fails the dunning job, naming the setting, and suspends nobody", async () => {
    await expect(runDunning(withSetting("past-due"), PAST_DUE_RUN)).rejects.toThrow(
      /DUNNING_SUSPEND_AT must be one of none, past_due/,
    );
    expect((await request("past-due", "GET", "/v1/usage", still.key)).status).toBe(200);
    expect((await request("suspend", "POST", "/v1/api-keys", still.key, newKey("unknown"))).status).toBe(201);
  });

  it("the job repairs the marks: a missing one is put back, a stale one removed", async () => {
    const stale = await createTenant({ scopes: SCOPES });
    await env.AUTH_CACHE.put(
      `${PAST_DUE_MARK_PREFIX}${stale.customerId}`,
      JSON.stringify({ since: "x", amount_due_cents: 1, invoice_numbers: [] }),
    );
    await env.AUTH_CACHE.delete(`${PAST_DUE_MARK_PREFIX}${still.customerId}`);
    await runJob("none");
    expect(await env.AUTH_CACHE.get(`${PAST_DUE_MARK_PREFIX}${stale.customerId}`)).toBeNull();
    expect(await env.AUTH_CACHE.get(`${PAST_DUE_MARK_PREFIX}${still.customerId}`, "json")).toMatchObject({
      amount_due_cents: TOTAL,
    });
  });
});
