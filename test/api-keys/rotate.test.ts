// POST /v1/api-keys/{id}/rotate: a new secret with the same name, mode, scopes and expiry; the old
// key lives on for the grace period (never past its own expiry) or stops at once with grace 0.
import { beforeAll, describe, expect, it } from "vitest";
import { asCustomer, createApiKey } from "../../dev/fixtures.ts";
import { asOwner } from "../helpers/database.ts";
import { userToken } from "../helpers/identity.ts";
import { call, createTenant, type TestTenant } from "../helpers/tenants.ts";
import type { Problem, Schemas } from "../helpers/http.ts";

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

const json = { "content-type": "application/json" };
const newKey = async (body: Record<string, unknown> = {}) => {
  const response = await call("/v1/api-keys", {
    method: "POST",
    token: admin,
    headers: json,
    body: JSON.stringify({ name: "Rotating", mode: "test", scopes: ["invoices:read", "api_keys:read"], ...body }),
  });
  expect(response.status).toBe(201);
  return response.json<ApiKeyBody & { key: string }>();
};
const rotate = (id: string, body?: unknown, token: string = admin) =>
  call(`/v1/api-keys/${id}/rotate`, {
    method: "POST",
    token,
    ...(body === undefined ? {} : { headers: json, body: JSON.stringify(body) }),
  });
const getKey = async (id: string) => (await call(`/v1/api-keys/${id}`, { token: admin })).json<ApiKeyBody>();
const secondsFromNow = (iso: string | null) => (Date.parse(iso!) - Date.now()) / 1000;

describe("POST /v1/api-keys/{id}/rotate", () => {
  it("with a 3600 s grace: both keys work, the old one now expires in an hour and points at the new one", async () => {
    const old = await newKey();
    expect((await call("/v1/invoices", { token: old.key })).status).toBe(200); // cache the old principal

    const response = await rotate(old.id, { grace_period_seconds: 3600 });
    expect(response.status).toBe(201);
    const fresh = await response.json<ApiKeyBody>();
    expect(fresh.key).toMatch(/^sb_test_[0-9A-Za-z]{32}$/);
    expect(fresh.key).not.toBe(old.key);
    expect(fresh).toMatchObject({
      name: old.name,
      mode: "test",
      scopes: old.scopes,
      expires_at: null,
      rotated_from: old.id,
      rotated_to: null,
      revoked_at: null,
    });
    expect(response.headers.get("location")).toBe(`/v1/api-keys/${fresh.id}`);

    const oldNow = await getKey(old.id);
    expect(oldNow.rotated_to).toBe(fresh.id);
    expect(oldNow.revoked_at).toBeNull();
    expect(secondsFromNow(oldNow.expires_at)).toBeGreaterThan(3590);
    expect(secondsFromNow(oldNow.expires_at)).toBeLessThanOrEqual(3600);

    expect((await call("/v1/invoices", { token: old.key })).status).toBe(200);
    expect((await call("/v1/invoices", { token: fresh.key! })).status).toBe(200);
    // The old key's cached principal was dropped: it already carries the new expiry.
    const me = await (await call("/v1/me", { token: old.key })).json<{ expires_at: string }>();
    expect(secondsFromNow(me.expires_at)).toBeGreaterThan(3590);
  });

  it("with grace 0: the old key is revoked and refused at once, with its session tokens", async () => {
    const old = await newKey();
    expect((await call("/v1/invoices", { token: old.key })).status).toBe(200);
    const { session_token } = await (await call("/v1/auth/token", { method: "POST", token: old.key })).json<{
      session_token: string;
    }>();

    const response = await rotate(old.id, { grace_period_seconds: 0 });
    expect(response.status).toBe(201);
    const fresh = await response.json<ApiKeyBody>();

    expect((await call("/v1/invoices", { token: old.key })).status).toBe(401);
    expect((await call("/v1/invoices", { token: session_token })).status).toBe(401);
    expect((await call("/v1/invoices", { token: fresh.key! })).status).toBe(200);
    const oldNow = await getKey(old.id);
    expect(oldNow.revoked_at).not.toBeNull();
    expect(oldNow.rotated_to).toBe(fresh.id);
  });

  it("without a body the grace period defaults to 24 hours", async () => {
    const old = await newKey();
    expect((await rotate(old.id)).status).toBe(201);
    const expiresIn = secondsFromNow((await getKey(old.id)).expires_at);
    expect(expiresIn).toBeGreaterThan(86_390);
    expect(expiresIn).toBeLessThanOrEqual(86_400);
  });

  it("never extends the old key past its own expiry, and the new key keeps that expiry", async () => {
    const expiresAt = new Date(Date.now() + 600_000).toISOString();
    const old = await newKey({ expires_at: expiresAt });
    const fresh = await (await rotate(old.id, { grace_period_seconds: 3600 })).json<ApiKeyBody>();
    expect(fresh.expires_at).toBe(expiresAt);
    expect((await getKey(old.id)).expires_at).toBe(expiresAt);
  });

  it("writes api_key.rotated (new key id, grace) and api_key.created audit events with outbox events", async () => {
    const old = await newKey();
    const response = await rotate(old.id, { grace_period_seconds: 120 });
    const fresh = await response.json<ApiKeyBody>();
    const requestId = response.headers.get("x-request-id");
    const rows = await asOwner((client) =>
      asCustomer(client, tenant.customerId, async () => ({
        audit: (
          await client.query(
            "SELECT action, resource_id, request_id, data FROM audit_events WHERE request_id = $1 ORDER BY seq",
            [requestId],
          )
        ).rows,
        outbox: (
          await client.query("SELECT type, payload FROM outbox_events WHERE payload->>'id' IN ($1, $2) ORDER BY id", [
            old.id,
            fresh.id,
          ])
        ).rows,
      })),
    );
    expect(rows.audit).toEqual([
      expect.objectContaining({
        action: "api_key.created",
        resource_id: fresh.id,
        data: expect.objectContaining({ rotated_from: old.id }),
      }),
      expect.objectContaining({
        action: "api_key.rotated",
        resource_id: old.id,
        data: expect.objectContaining({ new_key_id: fresh.id, grace_period_seconds: 120 }),
      }),
    ]);
    // One multi-row insert: UUIDv7 ids within a millisecond are not ordered, so compare as a set.
    expect(rows.outbox.map((r) => r.type).sort()).toEqual(["api_key.created", "api_key.created", "api_key.rotated"]);
    expect(JSON.stringify(rows)).not.toContain(fresh.key!);
  });

  it("answers 409 when the key was already rotated", async () => {
    const old = await newKey();
    expect((await rotate(old.id, { grace_period_seconds: 60 })).status).toBe(201);
    const again = await rotate(old.id, { grace_period_seconds: 60 });
    expect(again.status).toBe(409);
    expect(again.headers.get("content-type")).toBe("application/problem+json");
    expect((await again.json<Problem>()).type).toMatch(/api-key-already-rotated$/);
  });

  it("answers 409 for a revoked key", async () => {
    const old = await newKey();
    expect((await call(`/v1/api-keys/${old.id}`, { method: "DELETE", token: admin })).status).toBe(200);
    const response = await rotate(old.id, { grace_period_seconds: 60 });
    expect(response.status).toBe(409);
    expect((await response.json<Problem>()).type).toMatch(/api-key-revoked$/);
  });

  it("answers 409 for an expired key", async () => {
    const expired = await asOwner((client) =>
      createApiKey(client, tenant.customerId, { expiresAt: new Date(Date.now() - 1_000) }),
    );
    const response = await rotate(expired.id, { grace_period_seconds: 60 });
    expect(response.status).toBe(409);
    expect((await response.json<Problem>()).type).toMatch(/api-key-expired$/);
  });

  it("refuses with 403 to rotate a key holding scopes the caller lacks (it would hand out the secret)", async () => {
    const powerful = await newKey({ scopes: ["users:write", "invoices:read"] });
    const developer = await userToken(tenant.customerId, "developer");
    const response = await rotate(powerful.id, { grace_period_seconds: 60 }, developer.token);
    expect(response.status).toBe(403);
    const problem = await response.json<Problem>();
    expect(problem.type).toMatch(/scope-exceeds-creator$/);
    expect(problem.detail).toContain("users:write");
    expect((await getKey(powerful.id)).rotated_to).toBeNull();
  });

  it("answers 404 for another tenant's key and leaves it untouched", async () => {
    const response = await rotate(other.keyId, { grace_period_seconds: 0 });
    expect(response.status).toBe(404);
    expect((await call("/v1/invoices", { token: other.key })).status).toBe(200);
  });

  it("rejects a malformed id with a 400 problem naming param.id", async () => {
    const response = await rotate("123", { grace_period_seconds: 60 });
    expect(response.status).toBe(400);
    expect((await response.json<Problem>()).errors![0]!.field).toBe("param.id");
  });

  it.each([
    ["a negative grace", { grace_period_seconds: -1 }, "body.grace_period_seconds"],
    ["a grace over 7 days", { grace_period_seconds: 604_801 }, "body.grace_period_seconds"],
    ["a fractional grace", { grace_period_seconds: 1.5 }, "body.grace_period_seconds"],
    ["a grace as a string", { grace_period_seconds: "3600" }, "body.grace_period_seconds"],
    ["an unknown field", { grace: 60 }, "body"],
  ])("rejects %s with a 422 naming %s", async (_, body, field) => {
    const old = await newKey();
    const response = await rotate(old.id, body);
    expect(response.status).toBe(422);
    expect((await response.json<Problem>()).errors!.map((e) => e.field)).toEqual([field]);
    expect((await getKey(old.id)).rotated_to).toBeNull();
  });

  it("accepts the 7-day maximum grace", async () => {
    const old = await newKey();
    expect((await rotate(old.id, { grace_period_seconds: 604_800 })).status).toBe(201);
    expect(secondsFromNow((await getKey(old.id)).expires_at)).toBeGreaterThan(604_790);
  });

  it("answers 401 without credentials", async () => {
    const response = await call(`/v1/api-keys/${tenant.keyId}/rotate`, { method: "POST" });
    expect(response.status).toBe(401);
  });

  it("answers 403 to a viewer user and to a key without api_keys:write", async () => {
    const old = await newKey();
    const viewer = await userToken(tenant.customerId, "viewer");
    expect((await rotate(old.id, { grace_period_seconds: 60 }, viewer.token)).status).toBe(403);
    expect((await rotate(old.id, { grace_period_seconds: 60 }, old.key)).status).toBe(403);
    expect((await getKey(old.id)).rotated_to).toBeNull();
  });
});
