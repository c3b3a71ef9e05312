// Every request writes one JSON line (Workers Logs indexes its fields): request id, customer,
// route pattern, method, status and duration — for successes, problems and unauthenticated calls.
import { afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import type { RequestLogLine } from "../../worker/http/request-log.ts";
import { call, createTenant, type TestTenant } from "../helpers/tenants.ts";

let tenant: TestTenant;
beforeAll(async () => {
  tenant = await createTenant({ invoices: 1 });
});
afterEach(() => {
  vi.restoreAllMocks();
});

async function logged(request: () => Promise<Response>): Promise<{ response: Response; line: RequestLogLine }> {
  const spy = vi.spyOn(console, "log").mockImplementation(() => undefined);
  const response = await request();
  await response.arrayBuffer();
  const lines = spy.mock.calls
    .map(([first]) =>
      typeof first === "string" && first.startsWith("{") ? (JSON.parse(first) as RequestLogLine) : null,
    )
    .filter((line): line is RequestLogLine => line?.message === "request");
  const line = lines.find((l) => l.request_id === response.headers.get("x-request-id"));
  expect(line, "one log line carrying the response's X-Request-Id").toBeDefined();
  return { response, line: line! };
}

describe("structured request logs", () => {
  it("log the customer, the route pattern (not the id), status and duration of an authenticated request", async () => {
    const id = tenant.invoiceIds[0]!;
    const { line } = await logged(() => call(`/v1/invoices/${id}`, { token: tenant.key }));
    expect(line).toMatchObject({
      message: "request",
      method: "GET",
      route: "/v1/invoices/:id",
      status: 200,
      customer_id: tenant.customerId,
      principal: "api_key",
    });
    expect(line.duration_ms).toBeGreaterThanOrEqual(0);
    expect(JSON.stringify(line)).not.toContain(id);
  });

  it("log a refused request with its status and no customer", async () => {
    const { line } = await logged(() => call("/v1/invoices", { token: "sb_live_not-a-real-key" }));
    expect(line).toMatchObject({ status: 401, customer_id: null, principal: null, route: "/v1/invoices" });
  });

  it("log the caller's own well-formed request id, and unknown paths without a route", async () => {
    const { response, line } = await logged(() =>
      call("/v1/no-such-thing", { headers: { "x-request-id": "trace-abc-123" } }),
    );
    expect(response.status).toBe(404);
    expect(line).toMatchObject({ request_id: "trace-abc-123", status: 404, route: null });
  });
});
