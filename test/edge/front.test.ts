// The edge front (worker/edge/front.ts) in front of the real data Worker, in-process as
// `npm run dev` runs it: what it answers near the user, what it learns from the data Worker's
// refusals, and that it forwards everything else unchanged. `forwarded` counts the requests that
// would have crossed the long hop.
import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { generateApiKey } from "../../worker/auth/api-key.ts";
import { createEdgeFront } from "../../worker/edge/front.ts";
import { forgetRefusals, refusedKeyKvKey, tokenHash } from "../../worker/edge/refusals.ts";
import { forgetLeases, leaseSize } from "../../worker/platform/rate-limit-client.ts";
import { BASE_URL, expectProblem, workerFetch } from "../helpers/http.ts";
import { createTenant } from "../helpers/tenants.ts";

function edge() {
  const forwarded: string[] = [];
  const front = createEdgeFront<typeof env>((request) => {
    forwarded.push(`${request.method} ${new URL(request.url).pathname}`);
    return workerFetch(request);
  });
  const call = async (path: string, init: RequestInit & { token?: string } = {}) => {
    const headers = new Headers(init.headers);
    if (init.token) headers.set("authorization", `Bearer ${init.token}`);
    const ctx = createExecutionContext();
    const response = await front.fetch(new Request(`${BASE_URL}${path}`, { ...init, headers }), env, ctx);
    await waitOnExecutionContext(ctx);
    return response;
  };
  return { call, forwarded };
}

describe("the edge front answers near the user", () => {
  it("serves /health/live and the docs' static assets without calling the data Worker", async () => {
    const { call, forwarded } = edge();
    const live = await call("/health/live");
    expect(live.status).toBe(200);
    expect(await live.json()).toEqual({ status: "ok" });
    const css = await call("/docs/assets/swagger-ui.css");
    expect(css.status).toBe(200);
    expect(await css.text()).toContain(".swagger-ui");
    expect(forwarded).toEqual([]);
  });

  it("refuses input the data Worker would refuse on any route (not JSON, NUL in the query) without calling it", async () => {
    const tenant = await createTenant({ scopes: ["api_keys:write"] });
    const { call, forwarded } = edge();
    const notJson = await call("/v1/api-keys", {
      method: "POST",
      token: tenant.key,
      headers: { "content-type": "application/json" },
      body: "{",
    });
    await expectProblem(notJson, { status: 400, field: "body" });
    await expectProblem(await call("/v1/invoices?status=a%00b", { token: tenant.key }), {
      status: 400,
      field: "query.status",
    });
    expect(forwarded).toEqual([]);
  });
});

describe("the edge front forwards the rest unchanged", () => {
  it("passes a write's body and the caller's credentials to the data Worker, and keeps forwarding a good key", async () => {
    const tenant = await createTenant({ scopes: ["api_keys:write", "invoices:read"] });
    const { call, forwarded } = edge();
    const created = await call("/v1/api-keys", {
      method: "POST",
      token: tenant.key,
      headers: { "content-type": "application/json", "x-request-id": "edge-front-test-1" },
      body: JSON.stringify({ name: "via the front", scopes: ["invoices:read"] }),
    });
    expect(created.status).toBe(201);
    expect(created.headers.get("x-request-id")).toBe("edge-front-test-1");
    expect(((await created.json()) as { name: string }).name).toBe("via the front");
    expect((await call("/v1/invoices", { token: tenant.key })).status).toBe(200);
    expect((await call("/v1/invoices", { token: tenant.key })).status).toBe(200);
    expect(forwarded).toEqual(["POST /v1/api-keys", "GET /v1/invoices", "GET /v1/invoices"]);
  });
});

describe("refusals the edge front learns (security: it only repeats the data Worker's own answer)", () => {
  it("refuses an unknown API key at the edge once the data Worker has refused it, with the same problem", async () => {
    const { call, forwarded } = edge();
    const unknown = generateApiKey("test").key;
    const first = await call("/v1/invoices", { token: unknown });
    const firstBody = await expectProblem(first, { status: 401, type: "unauthorized" });
    expect(forwarded).toHaveLength(1);

    const again = await call("/v1/invoices", { token: unknown });
    const againBody = await expectProblem(again, { status: 401, type: "unauthorized" });
    expect(forwarded).toHaveLength(1);
    expect(againBody.detail).toBe(firstBody.detail);
    expect(againBody.title).toBe(firstBody.title);
    expect(again.headers.get("www-authenticate")).toBe(first.headers.get("www-authenticate"));
    // Marked in KV (the key's hash, never the key) for every isolate of the front.
    expect(await env.AUTH_CACHE.get(refusedKeyKvKey(await tokenHash(unknown)))).not.toBeNull();
  });

  it("refuses from the KV mark in an isolate that has not seen the key, and then from memory", async () => {
    const { call, forwarded } = edge();
    const unknown = generateApiKey("live").key;
    await expectProblem(await call("/v1/invoices", { token: unknown }), { status: 401 });
    forgetRefusals(); // a fresh isolate of the front
    await expectProblem(await call("/v1/invoices", { token: unknown }), { status: 401, type: "unauthorized" });
    await expectProblem(await call("/v1/invoices", { token: unknown }), { status: 401, type: "unauthorized" });
    // The first and the KV-answered second crossed (the KV read runs alongside), the third did not.
    expect(forwarded).toHaveLength(2);
  });

  it("refuses a key at the edge after the data Worker refused it as revoked", async () => {
    const tenant = await createTenant({ scopes: ["api_keys:write", "invoices:read"] });
    const { call, forwarded } = edge();
    expect((await call("/v1/invoices", { token: tenant.key })).status).toBe(200);
    expect((await call(`/v1/api-keys/${tenant.keyId}`, { method: "DELETE", token: tenant.key })).status).toBe(200);
    await expectProblem(await call("/v1/invoices", { token: tenant.key }), { status: 401 });
    const crossed = forwarded.length;
    await expectProblem(await call("/v1/invoices", { token: tenant.key }), { status: 401, type: "unauthorized" });
    expect(forwarded).toHaveLength(crossed);
  });

  it("answers a credential over its quota with a 429 at the edge until the window ends", async () => {
    const tenant = await createTenant({ tier: "standard" });
    // Other isolates hold the whole window (as in test/platform/rate-limits.test.ts).
    const stub = env.RATE_LIMITER.get(env.RATE_LIMITER.idFromName(`key:${tenant.keyId}`));
    let elsewhere = 0;
    while (elsewhere < 600) elsewhere += (await stub.lease(600, 60, leaseSize(600))).granted;
    forgetLeases();
    const { call, forwarded } = edge();
    const first = await call("/v1/invoices", { token: tenant.key });
    await expectProblem(first, { status: 429, type: "rate-limited" });
    expect(forwarded).toHaveLength(1);
    const again = await call("/v1/invoices", { token: tenant.key });
    const body = await expectProblem(again, { status: 429, type: "rate-limited" });
    expect(forwarded).toHaveLength(1);
    expect(body.detail).toMatch(/^Rate limit of 600 requests per minute exceeded; retry after \d+ s\.$/);
    expect(again.headers.get("ratelimit-limit")).toBe("600");
    expect(again.headers.get("ratelimit-remaining")).toBe("0");
    expect(Number(again.headers.get("retry-after"))).toBeGreaterThan(0);
    expect(Number(again.headers.get("retry-after"))).toBeLessThanOrEqual(Number(first.headers.get("retry-after")));
  });

  it("does not learn from a session token's 401 or from a good key's answers", async () => {
    const tenant = await createTenant();
    const { call, forwarded } = edge();
    await expectProblem(await call("/v1/invoices", { token: "not-a-session-token" }), { status: 401 });
    await expectProblem(await call("/v1/invoices", { token: "not-a-session-token" }), { status: 401 });
    expect((await call("/v1/invoices", { token: tenant.key })).status).toBe(200);
    expect(forwarded).toHaveLength(3);
  });
});
