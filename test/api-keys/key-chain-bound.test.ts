// A key minted by a key is bounded by, and stops with, the user who started the chain
// (docs/auth.md, "Permissions"; db/migrations/0090_key_chain_bound.sql): demoting that user
// shrinks the grandchild key to the new role, deactivating them stops it.
import { describe, expect, it } from "vitest";
import { userToken } from "../helpers/identity.ts";
import { api, expectProblem, send, type Schemas } from "../helpers/http.ts";

type Scopes = Schemas["CreateApiKeyRequest"]["scopes"];
import { asOwner } from "../helpers/database.ts";
import { asCustomer, createApiKey } from "../../dev/fixtures.ts";
import { call, createTenant } from "../helpers/tenants.ts";

const mint = (token: string, name: string, scopes: Scopes) =>
  api(token).POST("/v1/api-keys", { body: { name, mode: "test", scopes } });

async function mintOk(token: string, name: string, scopes: Scopes): Promise<{ id: string; key: string }> {
  const { data, response } = await mint(token, name, scopes);
  expect(response.status).toBe(201);
  return { id: data!.id, key: data!.key };
}

describe("a key created by a developer's key", () => {
  it("records the developer as its origin, shrinks to the developer's new role and stops with them", async () => {
    const tenant = await createTenant();
    const { token: admin } = await userToken(tenant.customerId, "admin");
    const { user: developer, token: developerToken } = await userToken(tenant.customerId, "developer");
    const k1 = await mintOk(developerToken, "K1", ["api_keys:read", "api_keys:write", "invoices:read"]);
    const k2 = await mintOk(k1.key, "K2", ["api_keys:read", "api_keys:write", "invoices:read"]);
    const origin = await asOwner((client) =>
      asCustomer(client, tenant.customerId, () =>
        client.query("SELECT origin_user_id FROM api_keys WHERE id = $1", [k2.id]),
      ),
    );
    expect(origin.rows[0]).toEqual({ origin_user_id: developer.id });
    // Before: K2 may write what the developer may.
    await mintOk(k2.key, "K3", ["invoices:read"]);

    const demoted = await api(admin).PATCH("/v1/users/{id}", {
      params: { path: { id: developer.id } },
      body: { role: "viewer" },
    });
    expect(demoted.response.status).toBe(200);
    const write = await send("POST", "/v1/api-keys", k2.key, { name: "K4", mode: "test", scopes: ["invoices:read"] });
    await expectProblem(write, { status: 403, type: "insufficient-permission" });
    const me = await (await call("/v1/me", { token: k2.key })).json<{ permissions: string[] }>();
    expect(me.permissions).toEqual(["invoices:read"]);

    const deactivated = await api(admin).PATCH("/v1/users/{id}", {
      params: { path: { id: developer.id } },
      body: { status: "deactivated" },
    });
    expect(deactivated.response.status).toBe(200);
    await expectProblem(await call("/v1/invoices", { token: k2.key }), { status: 401, type: "unauthorized" });
  });

  it("takes the origin from the creator, never from the writer", async () => {
    const tenant = await createTenant();
    const { user } = await userToken(tenant.customerId, "viewer");
    const origin = await asOwner(async (client) => {
      const { id } = await createApiKey(client, tenant.customerId);
      return asCustomer(client, tenant.customerId, async () => {
        await client.query("UPDATE api_keys SET origin_user_id = $1 WHERE id = $2", [user.id, id]);
        const { rows } = await client.query("SELECT origin_user_id FROM api_keys WHERE id = $1", [id]);
        return rows[0]!.origin_user_id;
      });
    });
    // No creator: no origin (a forged one would tie the key to a user it never came from).
    expect(origin).toBeNull();
  });

  it("cannot write from a cache once the developer is inactive, even before any purge", async () => {
    const tenant = await createTenant();
    const { user: developer, token: developerToken } = await userToken(tenant.customerId, "developer");
    const k1 = await mintOk(developerToken, "K1", ["api_keys:write", "invoices:read"]);
    const k2 = await mintOk(k1.key, "K2", ["api_keys:write", "invoices:read"]);
    await mintOk(k2.key, "warm-up", ["invoices:read"]); // K2's principal is cached now
    // Deactivated behind the API's back: no cache purge, as another PoP would still hold K2.
    await asOwner((client) =>
      asCustomer(client, tenant.customerId, () =>
        client.query("UPDATE users SET status = 'deactivated' WHERE id = $1", [developer.id]),
      ),
    );
    const write = await send("POST", "/v1/api-keys", k2.key, { name: "late", mode: "test", scopes: ["invoices:read"] });
    await expectProblem(write, { status: 401, type: "unauthorized" });
  });
});
