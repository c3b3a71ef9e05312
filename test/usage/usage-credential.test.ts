// The usage:ingest machine credential (docs/auth.md, "Platform keys"): staff create platform keys;
// a key with usage:ingest may report usage and nothing else; customer credentials never may.
import { beforeAll, describe, expect, it } from "vitest";
import { adminQuery } from "../helpers/billing.ts";
import { expectProblem, send } from "../helpers/http.ts";
import { staffToken, userToken, type TestUser } from "../helpers/identity.ts";
import { createTenant, type TestTenant } from "../helpers/tenants.ts";

interface NewKey {
  id: string;
  key: string;
  prefix: string;
  scopes: string[];
  revoked_at: string | null;
}

let staff: string;
let staffUser: TestUser;
let alice: TestTenant;
let tag = 0;
const today = new Date().toISOString().slice(0, 10);
const event = (customerId: string) => ({
  event_id: `cred-${Date.now()}-${tag++}`,
  customer_id: customerId,
  metric: "nat_processing_gb",
  quantity: "1.5",
  occurred_at: `${today}T00:02:00Z`,
});
const ingest = (token: string, customerId = alice.customerId) =>
  send("POST", "/v1/admin/usage", token, { events: [event(customerId)] });
const eventsOf = async (customerId: string) =>
  (
    await adminQuery<{ n: number }>("SELECT count(*)::int AS n FROM usage_events WHERE customer_id = $1", [customerId])
  )[0]!.n;

async function newPlatformKey(name = "collector"): Promise<NewKey> {
  const response = await send("POST", "/v1/admin/api-keys", staff, { name, scopes: ["usage:ingest"] });
  expect(response.status, await response.clone().text()).toBe(201);
  return response.json<NewKey>();
}

beforeAll(async () => {
  ({ token: staff, user: staffUser } = await staffToken());
  alice = await createTenant();
});

describe("platform API keys (usage:ingest)", () => {
  it("happy path: staff create a key shown once; it ingests usage that lands for the named customer", async () => {
    const created = await newPlatformKey();
    expect(created.key).toMatch(/^sb_platform_[0-9A-Za-z]{32}$/);
    expect(created.key.startsWith(created.prefix)).toBe(true);
    expect(created.scopes).toEqual(["usage:ingest"]);

    const before = await eventsOf(alice.customerId);
    const response = await ingest(created.key);
    expect(response.status, await response.clone().text()).toBe(200);
    expect((await response.json<{ accepted: number }>()).accepted).toBe(1);
    expect(await eventsOf(alice.customerId)).toBe(before + 1);

    const list = await send("GET", "/v1/admin/api-keys", staff);
    expect(list.status).toBe(200);
    const listed = (await list.json<{ data: Record<string, unknown>[] }>()).data.find((k) => k.id === created.id);
    expect(listed).toMatchObject({ prefix: created.prefix, revoked_at: null });
    expect(listed).not.toHaveProperty("key");

    const audit = await adminQuery<{ action: string; actor_type: string; actor_id: string }>(
      "SELECT action, actor_type, actor_id FROM audit_events WHERE resource_id = $1 ORDER BY seq",
      [created.id],
    );
    expect(audit).toEqual([{ action: "platform_api_key.created", actor_type: "staff", actor_id: staffUser.id }]);
  });

  it("security: the secret is stored hashed, never in plaintext", async () => {
    const created = await newPlatformKey();
    const [row] = await adminQuery<Record<string, unknown>>("SELECT * FROM platform_api_keys WHERE id = $1", [
      created.id,
    ]);
    expect(row).toBeDefined();
    expect(JSON.stringify(row)).not.toContain(created.key);
    expect(JSON.stringify(row)).not.toContain(created.key.slice("sb_platform_".length));
    const [hash] = await adminQuery<{ matches: boolean }>(
      "SELECT key_hash = sha256(convert_to($2, 'UTF8')) AS matches FROM platform_api_keys WHERE id = $1",
      [created.id, created.key],
    );
    expect(hash!.matches).toBe(true);
  });

  it("security: customer credentials cannot ingest (admin key 403, admin user session 403)", async () => {
    const before = await eventsOf(alice.customerId);
    await expectProblem(await ingest(alice.key), { status: 403 });
    const { token } = await userToken(alice.customerId, "admin");
    await expectProblem(await ingest(token), { status: 403 });
    expect(await eventsOf(alice.customerId)).toBe(before);
  });

  it("security: a platform key can do nothing else (admin and customer routes answer 403)", async () => {
    const { key } = await newPlatformKey();
    await expectProblem(await send("GET", "/v1/admin/customers", key), { status: 403 });
    await expectProblem(await send("GET", "/v1/invoices", key), { status: 403 });
    await expectProblem(await send("GET", "/v1/me", key), { status: 403 });
    await expectProblem(await send("GET", "/v1/admin/api-keys", key), { status: 403 });
    await expectProblem(await send("POST", "/v1/admin/api-keys", key, { name: "x", scopes: ["usage:ingest"] }), {
      status: 403,
    });
  });

  it("security: a revoked key is refused at once (401) and the revocation is audited", async () => {
    const created = await newPlatformKey();
    expect((await ingest(created.key)).status).toBe(200); // cached as a valid principal first
    const revoked = await send("DELETE", `/v1/admin/api-keys/${created.id}`, staff);
    expect(revoked.status).toBe(200);
    expect((await revoked.json<NewKey>()).revoked_at).not.toBeNull();
    const before = await eventsOf(alice.customerId);
    await expectProblem(await ingest(created.key), { status: 401 });
    expect(await eventsOf(alice.customerId)).toBe(before);
    const audit = await adminQuery<{ action: string }>(
      "SELECT action FROM audit_events WHERE resource_id = $1 AND action = 'platform_api_key.revoked'",
      [created.id],
    );
    expect(audit).toHaveLength(1);
  });

  it("security: non-staff cannot create, list or revoke platform keys (403)", async () => {
    const { token } = await userToken(alice.customerId, "admin");
    await expectProblem(await send("POST", "/v1/admin/api-keys", token, { name: "x", scopes: ["usage:ingest"] }), {
      status: 403,
    });
    await expectProblem(await send("POST", "/v1/admin/api-keys", alice.key, { name: "x", scopes: ["usage:ingest"] }), {
      status: 403,
    });
    await expectProblem(await send("GET", "/v1/admin/api-keys", alice.key), { status: 403 });
    const { id } = await newPlatformKey();
    await expectProblem(await send("DELETE", `/v1/admin/api-keys/${id}`, alice.key), { status: 403 });
  });

  it("errors: an unknown scope or missing name is a 4xx naming the field", async () => {
    await expectProblem(await send("POST", "/v1/admin/api-keys", staff, { name: "x", scopes: ["invoices:read"] }), {
      status: 422,
      field: "body.scopes.0",
    });
    await expectProblem(await send("POST", "/v1/admin/api-keys", staff, { scopes: ["usage:ingest"] }), {
      status: 422,
      field: "body.name",
    });
    await expectProblem(await send("DELETE", "/v1/admin/api-keys/0192f1c4-6a3e-7b8a-9d2c-3f4e5a6b7c8d", staff), {
      status: 404,
    });
  });
});
