// DELETE /v1/api-keys/{id}: the key and its session tokens stop working on the very next request,
// a second revoke changes nothing, and the revocation is audited with an outbox event.
import { beforeAll, describe, expect, it } from "vitest";
import { asCustomer, createApiKey } from "../../dev/fixtures.ts";
import { asOwner } from "../helpers/database.ts";
import { userToken } from "../helpers/identity.ts";
import { call, createTenant, type TestTenant } from "../helpers/tenants.ts";
import type { Schemas } from "../helpers/http.ts";

/** An API key; `key` (the secret) only in the answer that created it. */
type ApiKeyBody = Schemas["ApiKey"] & { key?: string };

let tenant: TestTenant;
let other: TestTenant;
let admin: string;
beforeAll(async () => {
  tenant = await createTenant({ invoices: 1 });
  other = await createTenant();
  admin = (await userToken(tenant.customerId, "admin")).token;
});

const newKey = async (scopes = ["invoices:read"]) => {
  const response = await call("/v1/api-keys", {
    method: "POST",
    token: admin,
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ name: "Doomed", scopes }),
  });
  expect(response.status).toBe(201);
  return response.json<ApiKeyBody & { key: string }>();
};
const revoke = (id: string, token: string | undefined = admin) =>
  call(`/v1/api-keys/${id}`, { method: "DELETE", token });

const auditAndOutbox = (keyId: string) =>
  asOwner((client) =>
    asCustomer(client, tenant.customerId, async () => ({
      audit: (
        await client.query("SELECT action, request_id FROM audit_events WHERE resource_id = $1 ORDER BY seq", [keyId])
      ).rows,
      outbox: (
        await client.query("SELECT type FROM outbox_events WHERE payload->>'id' = $1 ORDER BY created_at", [keyId])
      ).rows,
    })),
  );

describe("DELETE /v1/api-keys/{id}", () => {
  it("revokes the key: it works, then the very next request with it is a 401", async () => {
    const key = await newKey();
    expect((await call("/v1/invoices", { token: key.key })).status).toBe(200);
    expect((await call("/v1/invoices", { token: key.key })).status).toBe(200); // served from the principal cache

    const response = await revoke(key.id);
    expect(response.status).toBe(200);
    const body = await response.json<ApiKeyBody>();
    expect(body).toMatchObject({ id: key.id, object: "api_key", name: "Doomed" });
    expect(body.revoked_at).not.toBeNull();
    expect(body).not.toHaveProperty("key");

    const after = await call("/v1/invoices", { token: key.key });
    expect(after.status).toBe(401);
    expect(after.headers.get("content-type")).toBe("application/problem+json");
  });

  it("stops a session token exchanged for the key before the revocation", async () => {
    const key = await newKey();
    const exchange = await call("/v1/auth/token", { method: "POST", token: key.key });
    expect(exchange.status).toBe(200);
    const { session_token } = await exchange.json<{ session_token: string }>();
    expect((await call("/v1/invoices", { token: session_token })).status).toBe(200);

    expect((await revoke(key.id)).status).toBe(200);
    expect((await call("/v1/invoices", { token: session_token })).status).toBe(401);
    expect((await call("/v1/invoices", { token: key.key })).status).toBe(401);
  });

  it("writes one api_key.revoked audit and outbox event; revoking again returns the same key unchanged", async () => {
    const key = await newKey();
    const first = await revoke(key.id);
    const firstBody = await first.json<ApiKeyBody>();
    const again = await revoke(key.id);
    expect(again.status).toBe(200);
    expect(await again.json<ApiKeyBody>()).toEqual(firstBody);

    const { audit, outbox } = await auditAndOutbox(key.id);
    expect(audit).toEqual([
      { action: "api_key.created", request_id: expect.any(String) },
      { action: "api_key.revoked", request_id: first.headers.get("x-request-id") },
    ]);
    expect(outbox.map((r) => r.type)).toEqual(["api_key.created", "api_key.revoked"]);
  });

  it("lets a key revoke itself", async () => {
    const self = await asOwner((client) => createApiKey(client, tenant.customerId, { scopes: ["api_keys:write"] }));
    expect((await revoke(self.id, self.key)).status).toBe(200);
    expect((await revoke(self.id, self.key)).status).toBe(401);
  });

  it("answers 404 for another tenant's key and leaves it working", async () => {
    const response = await revoke(other.keyId);
    expect(response.status).toBe(404);
    expect(response.headers.get("content-type")).toBe("application/problem+json");
    expect((await call("/v1/invoices", { token: other.key })).status).toBe(200);
  });

  it("rejects a malformed id with a 400 problem naming param.id", async () => {
    const response = await revoke("not-a-uuid");
    expect(response.status).toBe(400);
    expect((await response.json<{ errors: { field: string }[] }>()).errors[0]!.field).toBe("param.id");
  });

  it("answers 401 without credentials", async () => {
    const response = await call(`/v1/api-keys/${tenant.keyId}`, { method: "DELETE" });
    expect(response.status).toBe(401);
    expect((await call("/v1/invoices", { token: tenant.key })).status).toBe(200);
  });

  it("answers 403 to a viewer user and to a key with only api_keys:read, and the key keeps working", async () => {
    const key = await newKey();
    const viewer = await userToken(tenant.customerId, "viewer");
    expect((await revoke(key.id, viewer.token)).status).toBe(403);
    const reader = await asOwner((client) => createApiKey(client, tenant.customerId, { scopes: ["api_keys:read"] }));
    expect((await revoke(key.id, reader.key)).status).toBe(403);
    expect((await call("/v1/invoices", { token: key.key })).status).toBe(200);
  });
});
