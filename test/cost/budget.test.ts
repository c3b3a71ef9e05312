// PUT/GET /v1/cost/budget and the daily job's budget alerts.
import { createScheduledController } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { asCustomer } from "../../dev/fixtures.ts";
import worker from "../../worker/index.ts";
import { asOwner } from "../helpers/database.ts";
import { eventually, expectNothingAfter } from "../helpers/wait.ts";
import { expectProblem, type Schemas } from "../helpers/http.ts";
import { call, createTenant, type TestTenant } from "../helpers/tenants.ts";
import { growingUsage, monthFromNow, seedUsage } from "./usage-history.ts";

type Budget = Schemas["CostBudget"];

const SCOPES = ["cost:read", "cost:write"];
const put = (tenant: TestTenant, body: unknown) =>
  call("/v1/cost/budget", {
    method: "PUT",
    token: tenant.key,
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
const runDailyJob = () =>
  worker.scheduled(createScheduledController({ cron: "30 0 * * *", scheduledTime: Date.now() }), env);

async function costAlertNotifications(
  customerId: string,
): Promise<{ category: string; event_type: string; title: string; body: string }[]> {
  return asOwner((client) =>
    asCustomer(client, customerId, async () => {
      const { rows } = await client.query(
        "SELECT category, event_type, title, body FROM notifications WHERE customer_id = $1 AND category = 'cost_alerts' ORDER BY title",
        [customerId],
      );
      return rows as { category: string; event_type: string; title: string; body: string }[];
    }),
  );
}

async function budgetEvents(
  customerId: string,
): Promise<{ type: string; payload: Record<string, unknown>; published_at: Date | null }[]> {
  return asOwner((client) =>
    asCustomer(client, customerId, async () => {
      const { rows } = await client.query(
        "SELECT type, payload, published_at FROM outbox_events WHERE customer_id = $1 AND type = 'cost.budget_exceeded' ORDER BY id",
        [customerId],
      );
      return rows as { type: string; payload: Record<string, unknown>; published_at: Date | null }[];
    }),
  );
}

let tenant: TestTenant;
beforeAll(async () => {
  tenant = await createTenant({ scopes: SCOPES });
  // 9 closed months growing to ~$260 of usage a month, and $67.50 of NAT so far this month:
  // month to date = ($2,000 base + $67.50) × 1.08 tax = $2,232.90.
  await seedUsage(tenant.customerId, growingUsage(9), { nat_processing_gb: 1_500 });
});

describe("PUT /v1/cost/budget", () => {
  it("sets the budget (audited) and GET shows where the month stands", async () => {
    const response = await put(tenant, { monthly_limit_cents: 240_000, alert_thresholds: [100, 80, 80] });
    expect(response.status).toBe(200);
    const budget = await response.json<Budget>();
    expect(budget).toMatchObject({ object: "cost_budget", monthly_limit_cents: 240_000, alert_thresholds: [80, 100] });
    expect(budget.current_month).toMatchObject({
      month: monthFromNow(0),
      month_to_date_cents: 223_290,
      percent_used: 93,
      alerts: [],
    });
    expect(budget.current_month.forecast_cents).toBeGreaterThan(240_000);

    const got = await call("/v1/cost/budget", { token: tenant.key });
    expect(await got.json<Budget>()).toEqual(budget);

    const { rows } = await asOwner((client) =>
      asCustomer(client, tenant.customerId, () =>
        client.query(
          "SELECT action, resource_id FROM audit_events WHERE customer_id = $1 AND resource_type = 'cost_budget'",
          [tenant.customerId],
        ),
      ),
    );
    expect(rows).toEqual([{ action: "cost_budget.created", resource_id: budget.id }]);
  });

  it.each([
    [{ monthly_limit_cents: 0 }, "body.monthly_limit_cents"],
    [{ monthly_limit_cents: -5 }, "body.monthly_limit_cents"],
    [{ monthly_limit_cents: 10.5 }, "body.monthly_limit_cents"],
    [{ monthly_limit_cents: "100" }, "body.monthly_limit_cents"],
    [{}, "body.monthly_limit_cents"],
    [{ monthly_limit_cents: 100, alert_thresholds: [] }, "body.alert_thresholds"],
    [{ monthly_limit_cents: 100, alert_thresholds: [0] }, "body.alert_thresholds.0"],
    [{ monthly_limit_cents: 100, alert_thresholds: [80, 501] }, "body.alert_thresholds.1"],
    [
      { monthly_limit_cents: 100, alert_thresholds: Array.from({ length: 11 }, (_, i) => i + 1) },
      "body.alert_thresholds",
    ],
    [{ monthly_limit_cents: 100, currency: "eur" }, "body"], // the message names `currency`
  ])("rejects %j with a 422 naming %s and changes nothing", async (body, field) => {
    const other = await createTenant({ scopes: SCOPES });
    await expectProblem(await put(other, body), { status: 422, field: field });
    await expectProblem(await call("/v1/cost/budget", { token: other.key }), { status: 404 });
  });

  it("needs cost:write to set and cost:read to read; another tenant's budget is not visible", async () => {
    const reader = await createTenant({ scopes: ["cost:read"] });
    await expectProblem(await put(reader, { monthly_limit_cents: 100 }), { status: 403 });
    await expectProblem(await call("/v1/cost/budget", { token: reader.key }), { status: 404 });
    const noCost = await createTenant({ scopes: ["invoices:read"] });
    await expectProblem(await call("/v1/cost/budget", { token: noCost.key }), { status: 403 });
    await expectProblem(await call("/v1/cost/budget"), { status: 401 });
  });
});

describe("budget alerts (daily job)", () => {
  it("alerts each crossed threshold once per month: 80 % on the actual amount, 100 % on the forecast", async () => {
    await put(tenant, { monthly_limit_cents: 240_000, alert_thresholds: [80, 100] });
    await runDailyJob();
    await runDailyJob();
    const events = await budgetEvents(tenant.customerId);
    expect(events.map((e) => [e.payload.threshold_percent, e.payload.basis])).toEqual([
      [80, "actual"],
      [100, "forecast"],
    ]);
    expect(events[0]!.payload).toMatchObject({
      month: monthFromNow(0),
      amount_cents: 223_290,
      budget_cents: 240_000,
      percent_of_budget: 93,
    });
    // Through the outbox and the queue to the customer's notifications, category cost_alerts.
    const notices = await eventually(async () => {
      const rows = await costAlertNotifications(tenant.customerId);
      expect(rows.length >= 2, "rows.length >= 2").toBe(true);
      return rows;
    });
    expect(notices.map((n) => [n.event_type, n.title])).toEqual([
      ["cost.budget_exceeded", "Budget: 100 % reached (forecast)"],
      ["cost.budget_exceeded", "Budget: 80 % reached"],
    ]);
    expect(notices[1]!.body).toContain("$2,232.90, 93 % of your monthly budget of $2,400.00");

    // The actual amount now passes 100 % too: already alerted this month, so nothing new.
    await seedUsage(tenant.customerId, [], { nat_processing_gb: 20_000 });
    await Promise.all([runDailyJob(), runDailyJob()]);
    // Notifications come only from published outbox events: with the same two rows, both
    // published (fanned out), no third notification can follow.
    await expectNothingAfter(
      async () => {
        const events = await budgetEvents(tenant.customerId);
        expect(events).toHaveLength(2);
        expect(events.every((e) => e.published_at !== null)).toBe(true);
      },
      async () => expect(await costAlertNotifications(tenant.customerId)).toHaveLength(2),
    );

    const budget = await (await call("/v1/cost/budget", { token: tenant.key })).json<Budget>();
    expect(budget.current_month.alerts.map((a) => [a.threshold_percent, a.basis])).toEqual([
      [100, "forecast"],
      [80, "actual"],
    ]);
  });

  it("does not alert below every threshold, nor for a customer without a budget", async () => {
    const calm = await createTenant({ scopes: SCOPES });
    const none = await createTenant({ scopes: SCOPES });
    await seedUsage(calm.customerId, growingUsage(9));
    await seedUsage(none.customerId, growingUsage(9), { nat_processing_gb: 90_000 });
    await put(calm, { monthly_limit_cents: 10_000_000 });
    await runDailyJob();
    expect(await budgetEvents(calm.customerId)).toEqual([]);
    expect(await budgetEvents(none.customerId)).toEqual([]);
  });
});
