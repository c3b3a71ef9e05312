// Failures inside the API surface as problems that say nothing about internals.
import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import worker from "../worker/index.ts";
import { generateApiKey } from "../worker/auth/api-key.ts";

/** The Worker with its database pointed at a role whose password is wrong. */
async function withBrokenDatabase(path: string, token?: string): Promise<Response> {
  const broken = { ...env, DATABASE_URL: env.DATABASE_URL.replace(/:[^:@/]+@/, ":not-the-password@") };
  const ctx = createExecutionContext();
  const response = await worker.fetch(
    new Request(`https://api.securebase.test${path}`, { headers: token ? { authorization: `Bearer ${token}` } : {} }),
    broken,
    ctx,
  );
  await waitOnExecutionContext(ctx);
  return response;
}

describe("an unexpected failure", () => {
  it("is a 500 problem with the request id and no internals", async () => {
    const response = await withBrokenDatabase("/v1/invoices", generateApiKey("test").key);
    expect(response.status).toBe(500);
    expect(response.headers.get("content-type")).toBe("application/problem+json");
    const text = await response.text();
    const body = JSON.parse(text) as Record<string, string>;
    expect(body).toMatchObject({
      status: 500,
      title: "Internal server error",
      request_id: response.headers.get("x-request-id"),
    });
    for (const secret of ["password", "sb_api", "postgres", "127.0.0.1", "stack", "at "])
      expect(text).not.toContain(secret);
  });

  it("shows on /health as a degraded check, naming the failing dependency only", async () => {
    const response = await withBrokenDatabase("/health");
    expect(response.status).toBe(503);
    const body = await response.json<{ status: string; checks: Record<string, { status: string; error?: string }> }>();
    expect(body.status).toBe("degraded");
    expect(body.checks.postgres!.status).toBe("error");
    expect(body.checks.kv!.status).toBe("ok");
    expect(JSON.stringify(body)).not.toMatch(/password|sb_api|127\.0\.0\.1/);
  });
});
