// A session token's revocation check (a KV read) runs alongside the request rather than in
// front of it; what it guards must not change: a revoked token's write is rolled back, its read
// is answered 401 — here with the mark only in KV, as another isolate or PoP would see it.
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { asCustomer } from "../../dev/fixtures.ts";
import { asOwner } from "../helpers/database.ts";
import { createUser, randomIp } from "../helpers/identity.ts";
import { expectProblem } from "../helpers/http.ts";
import { call, createTenant } from "../helpers/tenants.ts";

async function logIn(customerId: string) {
  const user = await createUser(customerId, { role: "admin" });
  const response = await call("/v1/auth/login", {
    method: "POST",
    headers: { "content-type": "application/json", "cf-connecting-ip": randomIp() },
    body: JSON.stringify({ email: user.email, password: user.password }),
  });
  return response.json<{ session_token: string; session_id: string }>();
}

/** Revokes the session the way another isolate's revocation reaches this one: through KV only. */
const markRevokedInKv = (sessionId: string) =>
  env.AUTH_CACHE.put(`revoked:session:${sessionId}`, String(Date.now() - 1_000));

const keysNamed = (customerId: string, name: string) =>
  asOwner((client) =>
    asCustomer(client, customerId, async () =>
      Number((await client.query("SELECT count(*) FROM api_keys WHERE name = $1", [name])).rows[0]!.count),
    ),
  );

describe("session token revoked elsewhere (mark in KV only)", () => {
  it("a write with it is rolled back and answered 401", async () => {
    const tenant = await createTenant();
    const session = await logIn(tenant.customerId);
    const create = (name: string) =>
      call("/v1/api-keys", {
        method: "POST",
        token: session.session_token,
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ name, scopes: ["invoices:read"] }),
      });
    expect((await create("before revocation")).status).toBe(201);

    await markRevokedInKv(session.session_id);
    await expectProblem(await create("after revocation"), { status: 401, type: "unauthorized" });
    expect(await keysNamed(tenant.customerId, "before revocation")).toBe(1);
    expect(await keysNamed(tenant.customerId, "after revocation")).toBe(0);
  });

  it("a read with it is answered 401, not with the data", async () => {
    const tenant = await createTenant({ invoices: 1 });
    const session = await logIn(tenant.customerId);
    expect((await call("/v1/invoices", { token: session.session_token })).status).toBe(200);
    await markRevokedInKv(session.session_id);
    const response = await call("/v1/invoices", { token: session.session_token });
    const problem = await expectProblem(response, { status: 401, type: "unauthorized" });
    expect(JSON.stringify(problem)).not.toContain(tenant.invoiceIds[0]!);
  });
});
