// GET /v1/cost/forecast over real usage histories.
import { createScheduledController } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { asCustomer, createInvoice, standardLines } from "../../dev/fixtures.ts";
import worker from "../../worker/index.ts";
import { asOwner } from "../helpers/database.ts";
import { expectProblem, type Schemas } from "../helpers/http.ts";
import { call, createTenant, type TestTenant } from "../helpers/tenants.ts";
import { growingUsage, monthFromNow, seedUsage } from "./usage-history.ts";

type Forecast = Schemas["CostForecast"];

const SCOPES = ["cost:read", "cost:write"];
let long: TestTenant;
let short: TestTenant;
let fresh: TestTenant;

beforeAll(async () => {
  [long, short, fresh] = await Promise.all([
    createTenant({ scopes: SCOPES }),
    createTenant({ scopes: SCOPES, tier: "fintech" }),
    createTenant({ scopes: SCOPES }),
  ]);
  await seedUsage(long.customerId, growingUsage(9), { nat_processing_gb: 1_500 });
  await seedUsage(short.customerId, growingUsage(4));
  await seedUsage(fresh.customerId, growingUsage(2));
});

const forecast = async (tenant: TestTenant, query = "") => {
  const response = await call(`/v1/cost/forecast${query}`, { token: tenant.key });
  expect(response.status).toBe(200);
  return response.json<Forecast>();
};

describe("GET /v1/cost/forecast", () => {
  it("forecasts 3 months at 80 % by default with Holt's linear trend on 9 months of history", async () => {
    const body = await forecast(long);
    expect(body).toMatchObject({ object: "cost_forecast", level: 80, status: "ok", method: "holt_linear" });
    expect(body.history).toMatchObject({ months: 9, from: monthFromNow(-9), through: monthFromNow(-1) });
    expect(body.months.map((m) => m.month)).toEqual([monthFromNow(0), monthFromNow(1), monthFromNow(2)]);
    for (const month of body.months) {
      const total = month.total!;
      expect(total.lower_cents).toBeLessThanOrEqual(total.expected_cents);
      expect(total.expected_cents).toBeLessThanOrEqual(total.upper_cents);
      expect(month.components.map((c) => c.component)).toEqual(["base", "log_storage_gb_month", "nat_processing_gb"]);
      // the standard tier's base fee is known, not forecast
      expect(month.components[0]).toMatchObject({
        method: "known",
        amounts: { expected_cents: 200_000, lower_cents: 200_000, upper_cents: 200_000 },
      });
      expect(month.components[2]!.method).toBe("holt_linear");
    }
    // the history grows each month, and so does the forecast; uncertainty grows with the horizon
    const [m1, , m3] = body.months;
    expect(m3!.total!.expected_cents).toBeGreaterThan(m1!.total!.expected_cents);
    expect(m3!.total!.upper_cents - m3!.total!.lower_cents).toBeGreaterThan(
      m1!.total!.upper_cents - m1!.total!.lower_cents,
    );
    // NAT last month was 3000 + 180·8 + 0 GB at $0.045: the next month's forecast is above it
    expect(m1!.components[2]!.amounts!.expected_cents).toBeGreaterThan(Math.round(4_440 * 4.5));
  });

  it("widens the interval with the level and forecasts up to 12 months", async () => {
    const at80 = await forecast(long, "?months=12");
    const at95 = await forecast(long, "?months=12&level=95");
    expect(at95.months).toHaveLength(12);
    expect(at95.months[11]!.month).toBe(monthFromNow(11));
    for (let i = 0; i < 12; i++) {
      const [a, b] = [at80.months[i]!.total!, at95.months[i]!.total!];
      expect(b.expected_cents).toBe(a.expected_cents);
      expect(b.upper_cents).toBeGreaterThan(a.upper_cents);
      expect(b.lower_cents).toBeLessThanOrEqual(a.lower_cents);
    }
  });

  it("uses the drift method with wider intervals on 3–5 months", async () => {
    const body = await forecast(short);
    expect(body).toMatchObject({ status: "ok", method: "drift", history: { months: 4 } });
    expect(body.months[0]!.components[0]!.amounts!.expected_cents).toBe(800_000); // fintech base
  });

  it("says insufficient_history below 3 months: the base fee and no made-up number", async () => {
    const body = await forecast(fresh);
    expect(body).toMatchObject({
      status: "insufficient_history",
      method: "insufficient_history",
      history: { months: 2 },
    });
    for (const month of body.months) {
      expect(month.total).toBeNull();
      expect(month.components[0]).toMatchObject({ component: "base", method: "known" });
      for (const c of month.components.slice(1))
        expect(c).toMatchObject({ method: "insufficient_history", amounts: null });
    }
  });

  it("is served from the daily job's cache, until a new invoice makes it stale", async () => {
    const before = await forecast(long, "?months=2");
    expect(before.source).toBe("live");
    await worker.scheduled(createScheduledController({ cron: "30 0 * * *", scheduledTime: Date.now() }), env);
    const cached = await forecast(long, "?months=2&level=90");
    expect(cached.source).toBe("cache");
    expect(cached.months.map((m) => m.total!.expected_cents)).toEqual(
      before.months.map((m) => m.total!.expected_cents),
    );
    const { rows } = await asOwner((client) =>
      asCustomer(client, long.customerId, () =>
        client.query(
          "SELECT month::text, method, confidence::text, history_through::text FROM cost_forecasts WHERE customer_id = $1 ORDER BY month",
          [long.customerId],
        ),
      ),
    );
    expect(rows).toHaveLength(12);
    expect(rows[0]).toEqual({
      month: monthFromNow(0),
      method: "holt_linear",
      confidence: "0.800",
      history_through: monthFromNow(-1),
    });

    await asOwner((client) =>
      createInvoice(client, long.customerId, {
        number: `SB-F-${Date.now()}`,
        periodStart: monthFromNow(-1),
        periodEnd: monthFromNow(0),
        status: "open",
        lines: standardLines(200_000, 600, 4_440),
      }),
    );
    expect((await forecast(long, "?months=2")).source).toBe("live");
  });

  it("sees only the caller's usage", async () => {
    const other = await createTenant({ scopes: SCOPES });
    const body = await forecast(other);
    expect(body).toMatchObject({ status: "insufficient_history", history: { months: 0, from: null } });
    expect(body.months[0]!.components.map((c) => c.component)).toEqual(["base"]);
  });

  it.each([
    ["months=0", "query.months"],
    ["months=13", "query.months"],
    ["months=two", "query.months"],
    ["level=50", "query.level"],
    ["level=100", "query.level"],
    ["level=80.5", "query.level"],
  ])("rejects %s with a 400 naming %s", async (query, field) => {
    await expectProblem(await call(`/v1/cost/forecast?${query}`, { token: long.key }), { status: 400, field: field });
  });

  it("needs credentials and the cost:read permission", async () => {
    await expectProblem(await call("/v1/cost/forecast"), { status: 401 });
    const noCost = await createTenant({ scopes: ["invoices:read"] });
    await expectProblem(await call("/v1/cost/forecast", { token: noCost.key }), { status: 403 });
  });
});
