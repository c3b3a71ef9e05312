// A principal whose user or API key no longer exists (deleted, or the database replaced under a
// cache that survived) must not write, whatever the KV/isolate principal cache says; /v1/me with
// a missing user is a 401. Rows are removed directly, as a replaced database would have them.
import { beforeAll, describe, expect, it } from "vitest";
import { asCustomer } from "../../dev/fixtures.ts";
import { asOwner } from "../helpers/database.ts";
import { adminQuery } from "../helpers/billing.ts";
import { userToken } from "../helpers/identity.ts";
import { expectProblem } from "../helpers/http.ts";
import { call, createTenant, type TestTenant } from "../helpers/tenants.ts";

let tenant: TestTenant;
beforeAll(async () => {
  tenant = await createTenant({ tier: "gov_federal", scopes: ["api_keys:read", "api_keys:write", "invoices:read"] });
});

const inTenant = (sql: string, values: unknown[]) =>
  asOwner((client) => asCustomer(client, tenant.customerId, () => client.query(sql, values)));

const keysNamed = async (name: string) =>
  (await adminQuery<{ n: number }>("SELECT count(*)::int AS n FROM api_keys WHERE name = $1", [name]))[0]!.n;

const createKey = (token: string, name: string, headers: Record<string, string> = {}) =>
  call("/v1/api-keys", {
    method: "POST",
    token,
    headers: { "content-type": "application/json", ...headers },
    body: JSON.stringify({ name, scopes: ["invoices:read"] }),
  });

describe("a session whose user is gone", () => {
  it("is a 401 on GET /v1/me and cannot write", async () => {
    const { user, token } = await userToken(tenant.customerId, "admin");
    expect((await call("/v1/me", { token })).status).toBe(200);
    expect((await createKey(token, `before-${user.id}`)).status).toBe(201);

    await inTenant("DELETE FROM users WHERE id = $1", [user.id]);
    await expectProblem(await call("/v1/me", { token }), { status: 401, type: "unauthorized" });
    const name = `after-${user.id}`;
    await expectProblem(await createKey(token, name), { status: 401, type: "unauthorized" });
    await expectProblem(await createKey(token, name, { "idempotency-key": `k-${user.id}` }), {
      status: 401,
      type: "unauthorized",
    });
    expect(await keysNamed(name)).toBe(0);
  });

  it("a deactivated user cannot write either", async () => {
    const { user, token } = await userToken(tenant.customerId, "admin");
    await inTenant("UPDATE users SET status = 'deactivated' WHERE id = $1", [user.id]);
    const name = `deactivated-${user.id}`;
    await expectProblem(await createKey(token, name), { status: 401, type: "unauthorized" });
    expect(await keysNamed(name)).toBe(0);
  });
});

describe("an API key served from the principal cache", () => {
  it("cannot write once its row is gone or revoked, though reads may still be served from the cache", async () => {
    for (const change of [
      "DELETE FROM api_keys WHERE id = $1",
      "UPDATE api_keys SET revoked_at = now() WHERE id = $1",
    ]) {
      const own = await createTenant({ scopes: ["api_keys:write", "invoices:read"] });
      // Warm the cache (KV and this isolate) with the key's principal.
      expect((await call("/v1/invoices", { token: own.key })).status).toBe(200);
      await asOwner((client) => asCustomer(client, own.customerId, () => client.query(change, [own.keyId])));
      const name = `gone-key-${own.keyId}`;
      await expectProblem(await createKey(own.key, name), { status: 401, type: "unauthorized" });
      expect(await keysNamed(name)).toBe(0);
    }
  });
});
