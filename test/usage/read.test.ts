// GET /v1/usage and GET /v1/metrics: the caller's own totals, and each metric's cost in the
// month's preview (the billing function's own usage line).
import { beforeAll, describe, expect, it } from "vitest";
import { monthOf } from "../../worker/billing/periods.ts";
import { ingestAsJobs } from "../helpers/billing.ts";
import { userToken } from "../helpers/identity.ts";
import { expectProblem, type Schemas } from "../helpers/http.ts";
import { call, createTenant, type TestTenant } from "../helpers/tenants.ts";

type Metrics = Schemas["Metrics"];

let alice: TestTenant;
let bob: TestTenant;
const thisMonth = monthOf(new Date());
const today = new Date().toISOString().slice(0, 10);

beforeAll(async () => {
  alice = await createTenant();
  bob = await createTenant();
  await ingestAsJobs([
    {
      customer_id: alice.customerId,
      metric: "log_storage_gb_month",
      quantity: "100",
      occurred_at: `${today}T00:00:00Z`,
    },
    {
      customer_id: alice.customerId,
      metric: "nat_processing_gb",
      quantity: "999.5",
      occurred_at: `${today}T00:00:00Z`,
    },
    { customer_id: alice.customerId, metric: "nat_processing_gb", quantity: "0.5", occurred_at: `${today}T00:00:00Z` },
    { customer_id: bob.customerId, metric: "nat_processing_gb", quantity: "1", occurred_at: `${today}T00:00:00Z` },
  ]);
});

describe("GET /v1/metrics", () => {
  it("lists every rate-card metric with the caller's quantity and its preview cost", async () => {
    const response = await call("/v1/metrics", { token: alice.key });
    expect(response.status).toBe(200);
    const body = await response.json<Metrics>();
    expect(body.period_start).toBe(thisMonth);
    expect(body.data.map((m) => [m.metric, m.quantity, m.events, m.preview_cost_cents])).toEqual([
      ["log_storage_gb_month", "100.000000", 1, 1_000],
      ["nat_processing_gb", "1000.000000", 2, 4_500],
    ]);
  });

  it("shows zero for a month without usage, and a 400 for a malformed period", async () => {
    const body = await (await call("/v1/metrics?period=2020-02", { token: alice.key })).json<Metrics>();
    expect(body).toMatchObject({ period_start: "2020-02-01", period_end: "2020-03-01" });
    expect(body.data.every((m) => m.quantity === "0" && m.preview_cost_cents === 0)).toBe(true);
    await expectProblem(await call("/v1/metrics?period=2020-13", { token: alice.key }), {
      status: 400,
      type: "validation-error",
      field: "query.period",
    });
  });

  it("needs metrics:read", async () => {
    await expectProblem(await call("/v1/metrics"), { status: 401 });
    const limited = await createTenant({ scopes: ["invoices:read"] });
    await expectProblem(await call("/v1/metrics", { token: limited.key }), {
      status: 403,
      type: "insufficient-permission",
    });
  });
});

describe("GET /v1/usage", () => {
  it("returns only the caller's totals, by day and by month", async () => {
    const daily = await (await call("/v1/usage", { token: bob.key })).json<{ granularity: string; data: unknown[] }>();
    expect(daily).toMatchObject({
      granularity: "day",
      data: [{ metric: "nat_processing_gb", period_start: today, quantity: "1.000000", events: 1 }],
    });
    const viewer = await userToken(alice.customerId, "viewer");
    const monthly = await (await call("/v1/usage?granularity=month", { token: viewer.token })).json<{
      data: { metric: string }[];
    }>();
    expect(monthly.data.map((d) => d.metric)).toEqual(["log_storage_gb_month", "nat_processing_gb"]);
  });

  it("refuses a reversed or too long range and bad dates (400 naming the query field)", async () => {
    await expectProblem(await call("/v1/usage?from=2026-05-01&to=2026-04-01", { token: alice.key }), {
      status: 400,
      type: "validation-error",
      field: "query.to",
    });
    await expectProblem(await call("/v1/usage?from=2020-01-01&to=2026-01-01", { token: alice.key }), {
      status: 400,
      type: "validation-error",
      field: "query.to",
    });
    await expectProblem(await call("/v1/usage?from=2026-02-30", { token: alice.key }), {
      status: 400,
      type: "validation-error",
      field: "query.from",
    });
    await expectProblem(await call("/v1/usage?granularity=hour", { token: alice.key }), {
      status: 400,
      type: "validation-error",
      field: "query.granularity",
    });
  });

  it("needs usage:read", async () => {
    await expectProblem(await call("/v1/usage"), { status: 401 });
    const limited = await createTenant({ scopes: ["invoices:read"] });
    await expectProblem(await call("/v1/usage", { token: limited.key }), {
      status: 403,
      type: "insufficient-permission",
    });
  });
});
