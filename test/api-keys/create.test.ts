// POST /v1/api-keys: the secret is shown once, stored only as SHA-256, never beyond the
// creator's permissions, and audited in the same transaction as the key.
import { beforeAll, describe, expect, it } from "vitest";
import { asCustomer, createApiKey } from "../../dev/fixtures.ts";
import { hashApiKey } from "../../worker/auth/api-key.ts";
import { asOwner } from "../helpers/database.ts";
import { userToken, type TestUser } from "../helpers/identity.ts";
import { call, createTenant, type TestTenant } from "../helpers/tenants.ts";
import type { Problem, Schemas } from "../helpers/http.ts";

/** An API key; `key` (the secret) only in the answer that created it. */
type ApiKeyBody = Schemas["ApiKey"] & { key?: string };

const createKey = (token: string | undefined, body: unknown, headers: Record<string, string> = {}) =>
  call("/v1/api-keys", {
    method: "POST",
    token,
    headers: { "content-type": "application/json", ...headers },
    body: JSON.stringify(body),
  });

let tenant: TestTenant;
let admin: { user: TestUser; token: string };
beforeAll(async () => {
  tenant = await createTenant({ invoices: 1 });
  admin = await userToken(tenant.customerId, "admin");
});

describe("POST /v1/api-keys", () => {
  it("creates a live key by default and returns the key object with its full secret", async () => {
    const response = await createKey(admin.token, { name: "CI deploy", scopes: ["invoices:read", "usage:read"] });
    expect(response.status).toBe(201);
    const body = await response.json<ApiKeyBody>();
    expect(body).toMatchObject({
      object: "api_key",
      name: "CI deploy",
      mode: "live",
      scopes: ["invoices:read", "usage:read"],
      expires_at: null,
      last_used_at: null,
      revoked_at: null,
      rotated_from: null,
      rotated_to: null,
      created_by: { type: "user", id: admin.user.id },
    });
    expect(body.key).toMatch(/^sb_live_[0-9A-Za-z]{32}$/);
    expect(body.prefix).toBe(body.key!.slice(0, 14));
    expect(response.headers.get("location")).toBe(`/v1/api-keys/${body.id}`);
  });

  it("creates a test-mode key with an expiry", async () => {
    const expiresAt = new Date(Date.now() + 86_400_000).toISOString();
    const response = await createKey(admin.token, {
      name: "Sandbox",
      mode: "test",
      scopes: ["invoices:read"],
      expires_at: expiresAt,
    });
    expect(response.status).toBe(201);
    const body = await response.json<ApiKeyBody>();
    expect(body.key).toMatch(/^sb_test_/);
    expect(body.expires_at).toBe(expiresAt);
  });

  it("issues a key that authenticates within its scopes and is refused outside them", async () => {
    const { key } = await (
      await createKey(admin.token, { name: "Reader", scopes: ["invoices:read"] })
    ).json<ApiKeyBody>();
    const invoices = await call("/v1/invoices", { token: key });
    expect(invoices.status).toBe(200);
    expect((await invoices.json<{ data: { id: string }[] }>()).data.map((i) => i.id)).toEqual(tenant.invoiceIds);
    const outside = await call("/v1/api-keys", { token: key });
    expect(outside.status).toBe(403);
    expect((await outside.json<Problem>()).detail).toContain("api_keys:read");
  });

  it("a key expiring in a few seconds works now", async () => {
    const expiresAt = new Date(Date.now() + 5_000).toISOString();
    const { key } = await (
      await createKey(admin.token, { name: "Short", scopes: ["invoices:read"], expires_at: expiresAt })
    ).json<ApiKeyBody>();
    expect((await call("/v1/invoices", { token: key })).status).toBe(200);
  });

  it("a key past its expires_at is refused with 401", async () => {
    const expired = await asOwner((client) =>
      createApiKey(client, tenant.customerId, { scopes: ["invoices:read"], expiresAt: new Date(Date.now() - 1_000) }),
    );
    expect((await call("/v1/invoices", { token: expired.key })).status).toBe(401);
  });

  it("stores only the SHA-256 of the key and its display prefix, never the secret", async () => {
    const body = await (await createKey(admin.token, { name: "Hashed", scopes: ["invoices:read"] })).json<ApiKeyBody>();
    const row = await asOwner((client) =>
      asCustomer(client, tenant.customerId, async () => {
        const { rows } = await client.query(
          "SELECT encode(key_hash, 'hex') AS hash, prefix, row_to_json(k)::text AS whole FROM api_keys k WHERE id = $1",
          [body.id],
        );
        return rows[0] as { hash: string; prefix: string; whole: string };
      }),
    );
    expect(row.hash).toBe(await hashApiKey(body.key!));
    expect(row.prefix).toBe(body.key!.slice(0, 14));
    expect(row.whole).not.toContain(body.key!);
  });

  it("records who created the key: an API key creator is named as created_by api_key", async () => {
    const creator = await asOwner((client) =>
      createApiKey(client, tenant.customerId, { scopes: ["api_keys:write", "invoices:read"] }),
    );
    const response = await createKey(creator.key, { name: "Child", scopes: ["invoices:read"] });
    expect(response.status).toBe(201);
    expect((await response.json<ApiKeyBody>()).created_by).toEqual({ type: "api_key", id: creator.id });
  });

  it("writes the api_key.created audit event and outbox event in the same transaction as the key", async () => {
    const response = await createKey(admin.token, { name: "Audited", scopes: ["invoices:read"] });
    const requestId = response.headers.get("x-request-id");
    const body = await response.json<ApiKeyBody>();
    const found = await asOwner((client) =>
      asCustomer(client, tenant.customerId, async () => {
        const key = await client.query("SELECT xmin::text AS tx FROM api_keys WHERE id = $1", [body.id]);
        const audit = await client.query(
          "SELECT xmin::text AS tx, action, resource_type, resource_id, request_id, actor_type, actor_id, data FROM audit_events WHERE resource_id = $1",
          [body.id],
        );
        const outbox = await client.query(
          "SELECT xmin::text AS tx, type, payload FROM outbox_events WHERE payload->>'id' = $1",
          [body.id],
        );
        return { key: key.rows[0]!, audit: audit.rows, outbox: outbox.rows };
      }),
    );
    expect(found.audit).toHaveLength(1);
    expect(found.audit[0]).toMatchObject({
      action: "api_key.created",
      resource_type: "api_key",
      resource_id: body.id,
      request_id: requestId,
      actor_type: "user",
      actor_id: admin.user.id,
      data: { name: "Audited", mode: "live", scopes: ["invoices:read"], expires_at: null },
    });
    expect(found.outbox).toHaveLength(1);
    expect(found.outbox[0]).toMatchObject({
      type: "api_key.created",
      payload: { id: body.id, name: "Audited", mode: "live", scopes: ["invoices:read"], prefix: body.prefix },
    });
    // One transaction: the key, its audit event and its outbox event carry the same xmin.
    expect(found.audit[0]!.tx).toBe(found.key.tx);
    expect(found.outbox[0]!.tx).toBe(found.key.tx);
    expect(JSON.stringify([found.audit, found.outbox])).not.toContain(body.key!);
  });

  it("answers 401 without credentials", async () => {
    const response = await createKey(undefined, { name: "x", scopes: ["invoices:read"] });
    expect(response.status).toBe(401);
    expect(response.headers.get("content-type")).toBe("application/problem+json");
  });

  it("answers 403 to a viewer user, who lacks api_keys:write", async () => {
    const viewer = await userToken(tenant.customerId, "viewer");
    const response = await createKey(viewer.token, { name: "x", scopes: ["invoices:read"] });
    expect(response.status).toBe(403);
    expect((await response.json<Problem>()).detail).toContain("api_keys:write");
  });

  it("answers 403 to a key whose scopes lack api_keys:write", async () => {
    const reader = await asOwner((client) =>
      createApiKey(client, tenant.customerId, { scopes: ["invoices:read", "api_keys:read"] }),
    );
    expect((await createKey(reader.key, { name: "x", scopes: ["invoices:read"] })).status).toBe(403);
  });
});

describe("POST /v1/api-keys refuses scopes beyond the creator's own", () => {
  it("a developer asking for users:write gets 403 scope-exceeds-creator naming the excess", async () => {
    const developer = await userToken(tenant.customerId, "developer");
    const response = await createKey(developer.token, {
      name: "Too much",
      scopes: ["invoices:read", "users:write", "audit:read"],
    });
    expect(response.status).toBe(403);
    expect(response.headers.get("content-type")).toBe("application/problem+json");
    const problem = await response.json<Problem>();
    expect(problem.type).toMatch(/scope-exceeds-creator$/);
    expect(problem.detail).toContain("users:write");
    expect(problem.detail).toContain("audit:read");
    expect(problem.detail).not.toContain("invoices:read");
    expect(problem.errors!.map((e) => e.field)).toEqual(["body.scopes.1", "body.scopes.2"]);
  });

  it("a key holding only api_keys:write cannot mint a key with invoices:read", async () => {
    const writer = await asOwner((client) => createApiKey(client, tenant.customerId, { scopes: ["api_keys:write"] }));
    const response = await createKey(writer.key, { name: "Escalation", scopes: ["invoices:read"] });
    expect(response.status).toBe(403);
    expect((await response.json<Problem>()).detail).toContain("invoices:read");
  });

  it("a developer may create a key within the developer permissions", async () => {
    const developer = await userToken(tenant.customerId, "developer");
    expect((await createKey(developer.token, { name: "Fine", scopes: ["usage:read", "webhooks:read"] })).status).toBe(
      201,
    );
  });
});

describe("POST /v1/api-keys validates the body (422 naming the fields)", () => {
  const past = new Date(Date.now() - 60_000).toISOString();
  it.each([
    ["no fields", {}, ["body.name", "body.scopes"]],
    ["an empty name", { name: "", scopes: ["invoices:read"] }, ["body.name"]],
    ["a blank name", { name: "   ", scopes: ["invoices:read"] }, ["body.name"]],
    ["a 101-character name", { name: "x".repeat(101), scopes: ["invoices:read"] }, ["body.name"]],
    ["an unknown mode", { name: "x", mode: "prod", scopes: ["invoices:read"] }, ["body.mode"]],
    ["empty scopes", { name: "x", scopes: [] }, ["body.scopes"]],
    ["scopes as a string", { name: "x", scopes: "invoices:read" }, ["body.scopes"]],
    ["an unknown scope", { name: "x", scopes: ["invoices:read", "invoices:destroy"] }, ["body.scopes.1"]],
    ["a wildcard scope", { name: "x", scopes: ["*"] }, ["body.scopes.0"]],
    ["a malformed expires_at", { name: "x", scopes: ["invoices:read"], expires_at: "tomorrow" }, ["body.expires_at"]],
    ["an expires_at in the past", { name: "x", scopes: ["invoices:read"], expires_at: past }, ["body.expires_at"]],
    [
      "an unknown field (customer_id)",
      { name: "x", scopes: ["invoices:read"], customer_id: "019a0000-0000-7000-8000-000000000000" },
      ["body"],
    ],
  ])("rejects %s", async (_, body, fields) => {
    const response = await createKey(admin.token, body);
    expect(response.status).toBe(422);
    expect(response.headers.get("content-type")).toBe("application/problem+json");
    const problem = await response.json<Problem>();
    expect(problem.errors!.map((e) => e.field).sort()).toEqual(fields);
  });
});
