// GET /v1/api-keys and GET /v1/api-keys/{id}: newest first with cursors, status filters, only
// the caller's keys, never a secret, and last_used_at filled in by the queue consumer.
import { beforeAll, describe, expect, it } from "vitest";
import { eventually } from "../helpers/wait.ts";
import { asCustomer, createApiKey } from "../../dev/fixtures.ts";
import { asOwner } from "../helpers/database.ts";
import { userToken } from "../helpers/identity.ts";
import { call, createTenant, type TestTenant } from "../helpers/tenants.ts";
import { expectSameAsMissing, type Page, type Schemas } from "../helpers/http.ts";

type ApiKeyBody = Schemas["ApiKey"];

const createKey = async (token: string, body: Record<string, unknown>) => {
  const response = await call("/v1/api-keys", {
    method: "POST",
    token,
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  expect(response.status).toBe(201);
  return response.json<ApiKeyBody & { key: string }>();
};

// alice: her fixture key (tenant.keyId) + 4 keys created through the API (active), one revoked
// and one expired (fixtures). bob: another tenant.
let alice: TestTenant;
let bob: TestTenant;
let aliceAdmin: string;
let created: (ApiKeyBody & { key: string })[];
let revokedId: string;
let expiredId: string;
beforeAll(async () => {
  alice = await createTenant();
  bob = await createTenant();
  aliceAdmin = (await userToken(alice.customerId, "admin")).token;
  created = [];
  for (let i = 0; i < 4; i++)
    created.push(await createKey(aliceAdmin, { name: `Key ${i}`, scopes: ["invoices:read"] }));
  await asOwner(async (client) => {
    const revoked = await createApiKey(client, alice.customerId, { name: "Revoked" });
    await asCustomer(client, alice.customerId, () =>
      client.query("UPDATE api_keys SET revoked_at = now() WHERE id = $1", [revoked.id]),
    );
    revokedId = revoked.id;
    expiredId = (
      await createApiKey(client, alice.customerId, { name: "Expired", expiresAt: new Date(Date.now() - 60_000) })
    ).id;
  });
});

const ids = (page: Page<ApiKeyBody>) => page.data.map((k) => k.id);

describe("GET /v1/api-keys", () => {
  it("lists only the caller's active keys, newest first, without any secret", async () => {
    const response = await call("/v1/api-keys", { token: aliceAdmin });
    expect(response.status).toBe(200);
    const text = await response.text();
    const page = JSON.parse(text) as Page<ApiKeyBody>;
    expect(ids(page)).toEqual([...created.map((k) => k.id)].reverse().concat(alice.keyId));
    expect(page).toMatchObject({ has_more: false, next_cursor: null });
    expect(page.data.every((k) => k.object === "api_key" && !("key" in k))).toBe(true);
    for (const { key } of created) expect(text).not.toContain(key);
  });

  it("pages with limit and starting_after until has_more is false", async () => {
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const query: string = cursor ? `?limit=2&starting_after=${cursor}` : "?limit=2";
      const page: Page<ApiKeyBody> = await (await call(`/v1/api-keys${query}`, { token: aliceAdmin })).json<
        Page<ApiKeyBody>
      >();
      expect(page.data.length).toBeLessThanOrEqual(2);
      seen.push(...ids(page));
      cursor = page.next_cursor;
      expect(page.has_more).toBe(cursor !== null);
      pages++;
    } while (cursor);
    expect(pages).toBe(3);
    expect(seen).toEqual([...created.map((k) => k.id)].reverse().concat(alice.keyId));
  });

  it.each([
    ["revoked", () => [revokedId]],
    ["expired", () => [expiredId]],
    ["all", () => [expiredId, revokedId, ...[...created.map((k) => k.id)].reverse(), alice.keyId]],
  ])("filters by status=%s", async (status, expected) => {
    const page = await (await call(`/v1/api-keys?status=${status}`, { token: aliceAdmin })).json<Page<ApiKeyBody>>();
    expect(ids(page)).toEqual(expected());
  });

  it("does not reveal another tenant's keys, even through a cursor", async () => {
    const bobAdmin = (await userToken(bob.customerId, "admin")).token;
    const page = await (
      await call("/v1/api-keys?status=all&starting_after=ffffffff-ffff-7fff-bfff-ffffffffffff", { token: bobAdmin })
    ).json<Page<ApiKeyBody>>();
    expect(ids(page)).toEqual([bob.keyId]);
  });

  it.each([
    ["status=deleted", "query.status"],
    ["limit=0", "query.limit"],
    ["limit=101", "query.limit"],
    ["starting_after=not-a-uuid", "query.starting_after"],
  ])("rejects %s with a 400 problem naming %s", async (query, field) => {
    const response = await call(`/v1/api-keys?${query}`, { token: aliceAdmin });
    expect(response.status).toBe(400);
    expect(response.headers.get("content-type")).toBe("application/problem+json");
    expect((await response.json<{ errors: { field: string }[] }>()).errors.map((e) => e.field)).toContain(field);
  });

  it("answers 401 without credentials", async () => {
    expect((await call("/v1/api-keys")).status).toBe(401);
  });

  it("answers 403 to a viewer user and to a key without api_keys:read", async () => {
    const viewer = await userToken(alice.customerId, "viewer");
    expect((await call("/v1/api-keys", { token: viewer.token })).status).toBe(403);
    expect((await call("/v1/api-keys", { token: alice.key })).status).toBe(403);
  });

  it("is allowed to a key holding api_keys:read", async () => {
    const reader = await asOwner((client) => createApiKey(client, alice.customerId, { scopes: ["api_keys:read"] }));
    const response = await call("/v1/api-keys", { token: reader.key });
    expect(response.status).toBe(200);
    expect(ids(await response.json<Page<ApiKeyBody>>())).toContain(reader.id);
  });
});

describe("GET /v1/api-keys/{id}", () => {
  it("returns the key object, never the secret", async () => {
    const response = await call(`/v1/api-keys/${created[0]!.id}`, { token: aliceAdmin });
    expect(response.status).toBe(200);
    const text = await response.text();
    const { key: _secret, ...object } = created[0]!;
    expect(JSON.parse(text)).toEqual({ ...object, last_used_at: null });
    expect(text).not.toContain(created[0]!.key);
  });

  it("answers 404 for another tenant's key, exactly as for an id that does not exist", async () => {
    const theirs = await call(`/v1/api-keys/${bob.keyId}`, { token: aliceAdmin });
    const nobodys = await call("/v1/api-keys/01900000-0000-7000-8000-000000000000", { token: aliceAdmin });
    await expectSameAsMissing(theirs, nobodys);
  });

  it("rejects a malformed id with a 400 problem naming param.id", async () => {
    const response = await call("/v1/api-keys/123", { token: aliceAdmin });
    expect(response.status).toBe(400);
    expect((await response.json<{ errors: { field: string }[] }>()).errors[0]!.field).toBe("param.id");
  });

  it("answers 401 without credentials and 403 to a viewer", async () => {
    expect((await call(`/v1/api-keys/${created[0]!.id}`)).status).toBe(401);
    const viewer = await userToken(alice.customerId, "viewer");
    expect((await call(`/v1/api-keys/${created[0]!.id}`, { token: viewer.token })).status).toBe(403);
  });

  it("shows last_used_at once the key has been used (batched through the EVENTS queue)", async () => {
    const fresh = await createKey(aliceAdmin, { name: "Used", scopes: ["invoices:read"] });
    const before = Date.now();
    expect((await call("/v1/invoices", { token: fresh.key })).status).toBe(200);
    const lastUsedAt = await eventually(async () => {
      const key = await (await call(`/v1/api-keys/${fresh.id}`, { token: aliceAdmin })).json<Schemas["ApiKey"]>();
      expect(key.last_used_at).not.toBeNull();
      return key.last_used_at;
    });
    expect(Date.parse(lastUsedAt!)).toBeGreaterThanOrEqual(before - 1_000);
    expect(Date.parse(lastUsedAt!)).toBeLessThanOrEqual(Date.now());
  });
});
