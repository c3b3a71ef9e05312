import { describe, expect, it } from "vitest";
import { call } from "./helpers/tenants.ts";

describe("GET /health", () => {
  it("reports Postgres and KV as reachable", async () => {
    const response = await call("/health");
    expect(response.status).toBe(200);
    const body = await response.json<{ status: string; checks: Record<string, { status: string }> }>();
    expect(body.status).toBe("ok");
    expect(body.checks.postgres!.status).toBe("ok");
    expect(body.checks.kv!.status).toBe("ok");
  });
});
