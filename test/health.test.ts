import { describe, expect, it } from "vitest";
import { proxyStats } from "./helpers/database.ts";
import { call } from "./helpers/tenants.ts";

describe("GET /health", () => {
  it("reports Postgres and KV as reachable", async () => {
    const response = await call("/health");
    expect(response.status).toBe(200);
    const body = await response.json<{
      status: string;
      checks: Record<string, { status: string; latency_ms: number }>;
    }>();
    expect(body.status).toBe("ok");
    expect(body.checks.postgres).toMatchObject({ status: "ok" });
    expect(body.checks.kv).toMatchObject({ status: "ok" });
  });
});

describe("every response", () => {
  it("carries a generated X-Request-Id", async () => {
    const a = await call("/health");
    const b = await call("/health");
    expect(a.headers.get("x-request-id")).toMatch(/^[0-9a-f-]{36}$/);
    expect(a.headers.get("x-request-id")).not.toBe(b.headers.get("x-request-id"));
  });

  it("echoes a well-formed X-Request-Id from the caller", async () => {
    const response = await call("/health", { headers: { "x-request-id": "trace-abc-123" } });
    expect(response.headers.get("x-request-id")).toBe("trace-abc-123");
  });
});

describe("errors are RFC 9457 problems", () => {
  it("answers an unknown route with a 404 problem that carries the request id", async () => {
    const response = await call("/v1/nope");
    expect(response.status).toBe(404);
    expect(response.headers.get("content-type")).toBe("application/problem+json");
    const body = await response.json<Record<string, unknown>>();
    expect(body).toMatchObject({ status: 404, title: "Not found", instance: "/v1/nope" });
    expect(body.type).toMatch(/^https:\/\/.+\/problems\/not-found$/);
    expect(body.request_id).toBe(response.headers.get("x-request-id"));
  });
});

describe("GET /health/live", () => {
  it("answers 200 without opening a database connection", async () => {
    const before = (await proxyStats()).connections;
    const response = await call("/health/live");
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: "ok" });
    expect((await proxyStats()).connections).toBe(before);
  });
});
