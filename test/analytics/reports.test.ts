// GET /v1/analytics/reports/*: JSON and CSV, periods, tenancy, the analytics role, CSV safety.
import { beforeAll, describe, expect, it } from "vitest";
import { asCustomer, createApiKey, createInvoice, standardLines } from "../../dev/fixtures.ts";
import { asOwner, proxyStats } from "../helpers/database.ts";
import { expectProblem } from "../helpers/http.ts";
import { call, createTenant, type TestTenant } from "../helpers/tenants.ts";

interface Report<R = Record<string, unknown>> {
  object: string;
  kind: string;
  period: { from: string; to: string };
  columns: string[];
  rows: R[];
}

const SCOPES = ["reports:read"];
let acme: TestTenant;
let other: TestTenant;
const YEAR_START = "2025-01-01";

beforeAll(async () => {
  [acme, other] = await Promise.all([createTenant({ scopes: SCOPES }), createTenant({ scopes: SCOPES })]);
  await asOwner(async (client) => {
    await asCustomer(client, acme.customerId, async () => {
      // a year of daily usage for two metrics, in one statement
      await client.query(
        `INSERT INTO usage_daily (customer_id, metric, day, quantity, events)
         SELECT $1, m, d::date, (extract(doy FROM d) * 1.5)::numeric, 3
         FROM generate_series($2::date, $2::date + 364, interval '1 day') AS d, unnest(ARRAY['log_storage_gb_month', 'nat_processing_gb']) AS m`,
        [acme.customerId, YEAR_START],
      );
      await client.query(
        `INSERT INTO usage_monthly (customer_id, metric, month, quantity, events) VALUES ($1, 'nat_processing_gb', '2025-03-01', 1234.5, 31)`,
        [acme.customerId],
      );
      await client.query(
        `INSERT INTO support_tickets (customer_id, subject, description, priority, first_response_due_at, resolution_due_at, first_responded_at, resolved_at, created_at) VALUES
           ($1, 'met', 'x', 'high', '2025-02-01 04:00Z', '2025-02-02Z', '2025-02-01 01:00Z', '2025-02-01 12:00Z', '2025-02-01Z'),
           ($1, 'late', 'x', 'high', '2025-02-01 04:00Z', '2025-02-02Z', '2025-02-01 06:00Z', '2025-02-05Z', '2025-02-01Z'),
           ($1, 'open past due', 'x', 'critical', '2025-03-01 01:00Z', '2025-03-01 08:00Z', NULL, NULL, '2025-03-01Z'),
           ($1, 'outside the period', 'x', 'low', '2024-03-01Z', '2024-03-10Z', NULL, NULL, '2024-03-01Z')`,
        [acme.customerId],
      );
    });
    await createInvoice(client, acme.customerId, {
      number: `SB-R-${acme.customerId.slice(-6)}`,
      periodStart: "2025-02-01",
      periodEnd: "2025-03-01",
      status: "paid",
      lines: standardLines(5_000_000, 100, 1_000), // large enough for a volume discount line
    });
    await createApiKey(client, acme.customerId, {
      name: '=HYPERLINK("http://evil.example","click")',
      scopes: ["reports:read"],
    });
    await createApiKey(client, acme.customerId, { name: "CI, nightly\nbuild", scopes: ["reports:read"] });
  });
});

const report = async <R = Record<string, unknown>>(path: string, tenant = acme) => {
  const response = await call(`/v1/analytics/reports/${path}`, { token: tenant.key });
  expect(response.status, await response.clone().text()).toBe(200);
  return response.json<Report<R>>();
};

describe("usage report", () => {
  it("returns a year of daily usage per metric, exact decimals, on the analytics role", async () => {
    const before = (await proxyStats()).byUser.sb_analytics?.connections ?? 0;
    const body = await report<{ period: string; metric: string; quantity: string; events: number }>(
      `usage?from=${YEAR_START}&to=2026-01-01`,
    );
    expect(body).toMatchObject({ object: "report", kind: "usage", period: { from: YEAR_START, to: "2026-01-01" } });
    expect(body.columns).toEqual(["period", "metric", "quantity", "events"]);
    expect(body.rows).toHaveLength(730);
    expect(body.rows[0]).toEqual({
      period: YEAR_START,
      metric: "log_storage_gb_month",
      quantity: "1.500000",
      events: 3,
    });
    expect(body.rows.at(-1)).toMatchObject({
      period: "2025-12-31",
      metric: "nat_processing_gb",
      quantity: "547.500000",
    });
    expect((await proxyStats()).byUser.sb_analytics?.connections ?? 0).toBeGreaterThan(before);
  });

  it("returns monthly rows with granularity=month", async () => {
    const body = await report(`usage?granularity=month&from=2025-03-15&to=2025-04-01`);
    expect(body.rows).toEqual([
      { period: "2025-03-01", metric: "nat_processing_gb", quantity: "1234.500000", events: 31 },
    ]);
  });

  it("answers CSV for ?format=csv and for Accept: text/csv (RFC 4180: header, CRLF)", async () => {
    for (const init of [
      { query: "&format=csv", headers: {} as Record<string, string> },
      { query: "", headers: { accept: "text/csv" } },
    ]) {
      const response = await call(`/v1/analytics/reports/usage?from=2025-01-01&to=2025-01-03${init.query}`, {
        token: acme.key,
        headers: init.headers,
      });
      expect(response.status).toBe(200);
      expect(response.headers.get("content-type")).toMatch(/^text\/csv; charset=utf-8/);
      expect(response.headers.get("content-disposition")).toBe(
        'attachment; filename="usage-2025-01-01-2025-01-03.csv"',
      );
      expect(await response.text()).toBe(
        "period,metric,quantity,events\r\n" +
          "2025-01-01,log_storage_gb_month,1.500000,3\r\n2025-01-01,nat_processing_gb,1.500000,3\r\n" +
          "2025-01-02,log_storage_gb_month,3.000000,3\r\n2025-01-02,nat_processing_gb,3.000000,3\r\n",
      );
    }
    // an explicit format wins over Accept
    const json = await call("/v1/analytics/reports/usage?format=json", {
      token: acme.key,
      headers: { accept: "text/csv" },
    });
    expect(json.headers.get("content-type")).toMatch(/^application\/json/);
  });

  it("shows another tenant nothing of the caller's usage", async () => {
    const body = await report(`usage?from=${YEAR_START}&to=2026-01-01`, other);
    expect(body.rows).toEqual([]);
  });
});

describe("cost report", () => {
  it("lists each invoice line per month and component; a negative discount stays a number in CSV", async () => {
    const body = await report<{ month: string; component: string; amount_cents: number }>(
      "cost?from=2025-01-01&to=2025-12-01",
    );
    expect(body.rows.map((r) => r.component)).toEqual(["base", "usage", "usage", "discount", "tax"]);
    expect(body.rows.every((r) => r.month === "2025-02-01")).toBe(true);
    const discount = body.rows.find((r) => r.component === "discount")!;
    expect(discount.amount_cents).toBeLessThan(0);
    const csv = await (
      await call("/v1/analytics/reports/cost?from=2025-01-01&to=2025-12-01&format=csv", { token: acme.key })
    ).text();
    expect(csv.split("\r\n")[0]).toBe(
      "month,invoice_number,invoice_status,component,description,quantity,unit,amount_cents",
    );
    expect(csv).toContain(`,discount,Volume discount,1.000000,,${discount.amount_cents}\r\n`);
  });
});

describe("sla report", () => {
  it("counts tickets met, breached and pending per priority, all four priorities listed", async () => {
    const body = await report<Record<string, number | string | null>>("sla?from=2025-01-01&to=2026-01-01");
    expect(body.rows.map((r) => r.priority)).toEqual(["critical", "high", "medium", "low"]);
    expect(body.rows[0]).toMatchObject({
      tickets: 1,
      first_response_breached: 1,
      resolution_breached: 1,
      resolution_compliance_percent: 0,
    });
    expect(body.rows[1]).toMatchObject({
      tickets: 2,
      first_response_met: 1,
      first_response_breached: 1,
      resolution_met: 1,
      resolution_breached: 1,
      resolution_pending: 0,
      resolution_compliance_percent: 50,
    });
    expect(body.rows[3]).toMatchObject({ tickets: 0, resolution_compliance_percent: null });
  });
});

describe("api-keys report", () => {
  it("lists keys with status and last use; CSV neutralises formulas and quotes commas and newlines", async () => {
    const body = await report<{ name: string; status: string }>("api-keys");
    expect(body.rows.map((r) => r.name)).toEqual([
      "Test key",
      '=HYPERLINK("http://evil.example","click")',
      "CI, nightly\nbuild",
    ]);
    expect(body.rows.every((r) => r.status === "active")).toBe(true);
    expect((body.rows as unknown as { audited_changes: number }[]).map((r) => r.audited_changes)).toEqual([0, 0, 0]);
    const csv = await (await call("/v1/analytics/reports/api-keys?format=csv", { token: acme.key })).text();
    expect(csv).toContain(`,"'=HYPERLINK(""http://evil.example"",""click"")",`);
    expect(csv).toContain(`,"CI, nightly\nbuild",`);
    expect(csv).not.toMatch(/(^|,)=HYPERLINK/m);
  });
});

describe("api-keys report: changes", () => {
  it("counts the audited changes a key made in the period", async () => {
    const writer = await createTenant({ scopes: ["reports:read", "cost:write"] });
    const put = await call("/v1/cost/budget", {
      method: "PUT",
      token: writer.key,
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ monthly_limit_cents: 100_000 }),
    });
    expect(put.status).toBe(200);
    const body = await report<{ id: string; audited_changes: number }>("api-keys", writer);
    expect(body.rows).toEqual([expect.objectContaining({ id: writer.keyId, audited_changes: 1 })]);
    const before = await report<{ audited_changes: number }>("api-keys?from=2020-01-01&to=2021-01-01", writer);
    expect(before.rows).toEqual([]);
  });
});

describe("validation and access", () => {
  it.each([
    ["usage?from=2025-13-01", "query.from"],
    ["usage?to=yesterday", "query.to"],
    ["usage?from=2025-05-01&to=2025-05-01", "query.to"],
    ["usage?from=2020-01-01&to=2025-01-01", "query.to"],
    ["usage?granularity=week", "query.granularity"],
    ["cost?format=xlsx", "query.format"],
    ["sla?from=2025-01-01%00", "query.from"],
  ])("rejects %s with a 400 naming %s", async (path, field) => {
    await expectProblem(await call(`/v1/analytics/reports/${path}`, { token: acme.key }), {
      status: 400,
      field: field,
    });
  });

  it("needs credentials and reports:read", async () => {
    await expectProblem(await call("/v1/analytics/reports/usage"), { status: 401 });
    const noReports = await createTenant({ scopes: ["invoices:read"] });
    for (const kind of ["usage", "cost", "sla", "api-keys"]) {
      await expectProblem(await call(`/v1/analytics/reports/${kind}`, { token: noReports.key }), { status: 403 });
    }
    await expectProblem(await call("/v1/analytics/reports/tickets", { token: acme.key }), { status: 404 });
  });
});
