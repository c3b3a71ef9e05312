// An API key never holds more than its creator's permissions — also after the creator's role
// changes or the creator is deactivated (enforced in app.resolve_api_key, caches purged).
import { describe, expect, it } from "vitest";
import { asCustomer, createApiKey } from "../../dev/fixtures.ts";
import { asOwner } from "../helpers/database.ts";
import { createUser, userToken } from "../helpers/identity.ts";
import { call, createTenant } from "../helpers/tenants.ts";

const permissionsOf = async (key: string) =>
  (await (await call("/v1/me", { token: key })).json<{ permissions: string[] }>()).permissions;

const patchUser = (token: string, id: string, body: unknown) =>
  call(`/v1/users/${id}`, {
    method: "PATCH",
    token,
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });

describe("keys created by a portal user", () => {
  it("shrink to the creator's new role, and stop when the creator is deactivated", async () => {
    const tenant = await createTenant();
    const { token: adminToken } = await userToken(tenant.customerId, "admin");
    const creator = await createUser(tenant.customerId, { role: "developer" });
    const key = await asOwner(async (client) => {
      const created = await createApiKey(client, tenant.customerId, { scopes: ["api_keys:read", "invoices:read"] });
      await asCustomer(client, tenant.customerId, () =>
        client.query("UPDATE api_keys SET created_by_type = 'user', created_by_id = $1 WHERE id = $2", [
          creator.id,
          created.id,
        ]),
      );
      return created.key;
    });
    expect(await permissionsOf(key)).toEqual(["api_keys:read", "invoices:read"]);

    expect((await patchUser(adminToken, creator.id, { role: "viewer" })).status).toBe(200);
    expect(await permissionsOf(key)).toEqual(["invoices:read"]); // viewer has no api_keys:read

    expect((await patchUser(adminToken, creator.id, { status: "deactivated" })).status).toBe(200);
    expect((await call("/v1/me", { token: key })).status).toBe(401);
  });
});
