// /v1/users: list, read, update, deactivate — tenant-bound, permission-checked, audited, and
// deactivation / role changes end the user's sessions at once.
import { beforeAll, describe, expect, it } from "vitest";
import { asCustomer } from "../../dev/fixtures.ts";
import { asOwner } from "../helpers/database.ts";
import { createUser, randomIp, userToken, type TestUser } from "../helpers/identity.ts";
import { call, createTenant, type TestTenant } from "../helpers/tenants.ts";
import { expectProblem, type Page, type Schemas } from "../helpers/http.ts";

type UserBody = Schemas["User"];

const jsonBody = (method: string, body: unknown, token?: string) => ({
  method,
  token,
  headers: { "content-type": "application/json" },
  body: JSON.stringify(body),
});
const patch = (id: string, body: unknown, token?: string) => call(`/v1/users/${id}`, jsonBody("PATCH", body, token));
const remove = (id: string, token?: string) => call(`/v1/users/${id}`, { method: "DELETE", token });

async function auditEvents(customerId: string, resourceId: string) {
  return asOwner((client) =>
    asCustomer(client, customerId, async () => {
      const { rows } = await client.query(
        "SELECT action, actor_type, actor_id, data FROM audit_events WHERE customer_id = $1 AND resource_id = $2 ORDER BY seq",
        [customerId, resourceId],
      );
      return rows as { action: string; actor_type: string; actor_id: string; data: Record<string, unknown> }[];
    }),
  );
}

const loginStatus = async (user: TestUser) =>
  (
    await call("/v1/auth/login", {
      method: "POST",
      headers: { "content-type": "application/json", "cf-connecting-ip": randomIp() },
      body: JSON.stringify({ email: user.email, password: user.password }),
    })
  ).status;

let alice: TestTenant;
let bob: TestTenant;
let admin: { user: TestUser; token: string };
let viewer: { user: TestUser; token: string };
let bobUser: TestUser;
beforeAll(async () => {
  [alice, bob] = await Promise.all([createTenant(), createTenant()]);
  [admin, viewer, bobUser] = await Promise.all([
    userToken(alice.customerId, "admin"),
    userToken(alice.customerId, "viewer"),
    createUser(bob.customerId, { role: "admin" }),
  ]);
});

describe("GET /v1/users", () => {
  it("lists only the caller's users, newest first, without password hashes or platform roles", async () => {
    const response = await call("/v1/users?limit=100", { token: admin.token });
    expect(response.status).toBe(200);
    const page = await response.json<Page<UserBody>>();
    const ids = page.data.map((u) => u.id);
    expect(ids).toEqual(expect.arrayContaining([admin.user.id, viewer.user.id]));
    expect(ids).not.toContain(bobUser.id);
    expect(ids).toEqual([...ids].sort().reverse());
    const mine = page.data.find((u) => u.id === admin.user.id)!;
    expect(mine).toEqual({
      id: admin.user.id,
      object: "user",
      email: admin.user.email,
      name: `User ${admin.user.email}`,
      role: "admin",
      status: "active",
      super_admin: false,
      last_login_at: expect.any(String),
      created_at: expect.any(String),
    });
    expect(JSON.stringify(page)).not.toMatch(/password|platform_role|pbkdf2/);
  });

  it("pages with limit and starting_after until has_more is false", async () => {
    const tenant = await createTenant({ scopes: ["users:read"] });
    const created = [];
    for (let i = 0; i < 5; i++) created.push((await createUser(tenant.customerId, { role: "viewer" })).id);
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const query: string = cursor ? `?limit=2&starting_after=${cursor}` : "?limit=2";
      const page: Page<UserBody> = await (await call(`/v1/users${query}`, { token: tenant.key })).json<
        Page<UserBody>
      >();
      expect(page.data.length).toBeLessThanOrEqual(2);
      seen.push(...page.data.map((u) => u.id));
      cursor = page.next_cursor;
      expect(page.has_more).toBe(cursor !== null);
    } while (cursor);
    expect(seen).toEqual([...created].reverse());
  });

  it("filters by role and by status", async () => {
    const gone = await createUser(alice.customerId, { role: "support", status: "deactivated" });
    const viewers = await (await call("/v1/users?role=viewer&limit=100", { token: admin.token })).json<
      Page<UserBody>
    >();
    expect(viewers.data.map((u) => u.id)).toContain(viewer.user.id);
    expect(viewers.data.every((u) => u.role === "viewer")).toBe(true);
    const deactivated = await (await call("/v1/users?status=deactivated&limit=100", { token: admin.token })).json<
      Page<UserBody>
    >();
    expect(deactivated.data.map((u) => u.id)).toContain(gone.id);
    expect(deactivated.data.every((u) => u.status === "deactivated")).toBe(true);
  });

  it("rejects bad query parameters with 400 naming them", async () => {
    await expectProblem(await call("/v1/users?role=owner", { token: admin.token }), {
      status: 400,
      type: "validation-error",
      field: "query.role",
    });
    await expectProblem(await call("/v1/users?status=gone", { token: admin.token }), {
      status: 400,
      type: "validation-error",
      field: "query.status",
    });
    await expectProblem(await call("/v1/users?starting_after=nope", { token: admin.token }), {
      status: 400,
      type: "validation-error",
      field: "query.starting_after",
    });
  });

  it("answers 401 without credentials", async () => {
    await expectProblem(await call("/v1/users"), { status: 401 });
  });

  it("answers 403 to a viewer and to an API key without users:read", async () => {
    await expectProblem(await call("/v1/users", { token: viewer.token }), {
      status: 403,
      type: "insufficient-permission",
    });
    await expectProblem(await call("/v1/users", { token: alice.key }), {
      status: 403,
      type: "insufficient-permission",
    });
  });
});

describe("GET /v1/users/{id}", () => {
  it("returns one of the caller's users", async () => {
    const response = await call(`/v1/users/${viewer.user.id}`, { token: admin.token });
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({
      id: viewer.user.id,
      object: "user",
      role: "viewer",
      email: viewer.user.email,
    });
  });

  it("answers 404 for another tenant's user, like for an id that does not exist", async () => {
    await expectProblem(await call(`/v1/users/${bobUser.id}`, { token: admin.token }), {
      status: 404,
      type: "not-found",
    });
    await expectProblem(await call("/v1/users/01900000-0000-7000-8000-000000000000", { token: admin.token }), {
      status: 404,
      type: "not-found",
    });
  });

  it("answers 400 for a malformed id", async () => {
    await expectProblem(await call("/v1/users/not-a-uuid", { token: admin.token }), {
      status: 400,
      type: "validation-error",
      field: "param.id",
    });
  });

  it("answers 401 without credentials and 403 without users:read", async () => {
    await expectProblem(await call(`/v1/users/${viewer.user.id}`), { status: 401 });
    await expectProblem(await call(`/v1/users/${viewer.user.id}`, { token: viewer.token }), { status: 403 });
  });
});

describe("PATCH /v1/users/{id}", () => {
  it("renames and changes the role, audited as user.updated with the changed fields only", async () => {
    const target = await createUser(alice.customerId, { role: "viewer" });
    const response = await patch(
      target.id,
      { name: "Renamed Person", role: "developer", status: "active" },
      admin.token,
    );
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({
      id: target.id,
      name: "Renamed Person",
      role: "developer",
      status: "active",
    });
    const events = await auditEvents(alice.customerId, target.id);
    expect(events).toEqual([
      expect.objectContaining({
        action: "user.updated",
        actor_type: "user",
        actor_id: admin.user.id,
        data: expect.objectContaining({
          changes: {
            name: { from: `User ${target.email}`, to: "Renamed Person" },
            role: { from: "viewer", to: "developer" },
          },
        }),
      }),
    ]);
  });

  it("rejects invalid bodies with 422 naming the fields", async () => {
    const id = viewer.user.id;
    await expectProblem(await patch(id, {}, admin.token), { status: 422, type: "validation-error", field: "body" });
    await expectProblem(await patch(id, { role: "owner" }, admin.token), {
      status: 422,
      type: "validation-error",
      field: "body.role",
    });
    await expectProblem(await patch(id, { status: "suspended" }, admin.token), {
      status: 422,
      type: "validation-error",
      field: "body.status",
    });
    await expectProblem(await patch(id, { name: "" }, admin.token), {
      status: 422,
      type: "validation-error",
      field: "body.name",
    });
    await expectProblem(await patch(id, { name: "x".repeat(201) }, admin.token), {
      status: 422,
      type: "validation-error",
      field: "body.name",
    });
    // Fields the API never sets (email, platform role) are refused, not silently dropped.
    await expectProblem(await patch(id, { name: "Ok", super_admin: true }, admin.token), {
      status: 422,
      type: "validation-error",
      field: "body",
    });
  });

  it("answers 400 for a malformed id and 404 for another tenant's user", async () => {
    await expectProblem(await patch("123", { name: "X" }, admin.token), {
      status: 400,
      type: "validation-error",
      field: "param.id",
    });
    await expectProblem(await patch(bobUser.id, { role: "viewer" }, admin.token), { status: 404, type: "not-found" });
    const stillAdmin = await asOwner((client) =>
      asCustomer(
        client,
        bob.customerId,
        async () => (await client.query("SELECT role FROM users WHERE id = $1", [bobUser.id])).rows[0],
      ),
    );
    expect(stillAdmin).toEqual({ role: "admin" });
  });

  it("answers 401 without credentials and 403 without users:write", async () => {
    await expectProblem(await patch(viewer.user.id, { name: "X" }), { status: 401 });
    await expectProblem(await patch(viewer.user.id, { name: "X" }, viewer.token), {
      status: 403,
      type: "insufficient-permission",
    });
    const reader = await createTenant({ scopes: ["users:read"] });
    const someone = await createUser(reader.customerId, { role: "viewer" });
    await expectProblem(await patch(someone.id, { name: "X" }, reader.key), {
      status: 403,
      type: "insufficient-permission",
    });
  });

  it("refuses a change of one's own role (409) but allows renaming oneself", async () => {
    await expectProblem(await patch(admin.user.id, { role: "viewer" }, admin.token), {
      status: 409,
      type: "self-role-change",
    });
    const renamed = await patch(admin.user.id, { name: "Admin Herself" }, admin.token);
    expect(renamed.status).toBe(200);
    expect(await renamed.json()).toMatchObject({ name: "Admin Herself", role: "admin" });
  });

  it("refuses to deactivate oneself (409)", async () => {
    await expectProblem(await patch(admin.user.id, { status: "deactivated" }, admin.token), {
      status: 409,
      type: "self-deactivation",
    });
    await expectProblem(await remove(admin.user.id, admin.token), { status: 409, type: "self-deactivation" });
  });

  it("never leaves the customer without an active admin (409 last-admin)", async () => {
    const tenant = await createTenant({ scopes: ["users:read", "users:write"] });
    const only = await createUser(tenant.customerId, { role: "admin" });
    await expectProblem(await patch(only.id, { role: "billing" }, tenant.key), { status: 409, type: "last-admin" });
    await expectProblem(await patch(only.id, { status: "deactivated" }, tenant.key), {
      status: 409,
      type: "last-admin",
    });
    await expectProblem(await remove(only.id, tenant.key), { status: 409, type: "last-admin" });
    // A deactivated admin does not count.
    await createUser(tenant.customerId, { role: "admin", status: "deactivated" });
    await expectProblem(await patch(only.id, { role: "viewer" }, tenant.key), { status: 409, type: "last-admin" });
    // With a second active admin, the first may go.
    await createUser(tenant.customerId, { role: "admin" });
    const demoted = await patch(only.id, { role: "viewer" }, tenant.key);
    expect(demoted.status).toBe(200);
    expect(await demoted.json()).toMatchObject({ role: "viewer" });
  });

  it("lets only one of two concurrent demotions of the last two admins through", async () => {
    const tenant = await createTenant({ scopes: ["users:read", "users:write"] });
    const [a, b] = await Promise.all([
      createUser(tenant.customerId, { role: "admin" }),
      createUser(tenant.customerId, { role: "admin" }),
    ]);
    const responses = await Promise.all([patch(a.id, { role: "viewer" }, tenant.key), remove(b.id, tenant.key)]);
    expect(responses.map((r) => r.status).sort()).toEqual([200, 409]);
    const admins = await (await call("/v1/users?role=admin&status=active", { token: tenant.key })).json<
      Page<UserBody>
    >();
    expect(admins.data).toHaveLength(1);
  });

  it("ends the user's sessions when their role changes (their token carried the old role's permissions)", async () => {
    const dev = await userToken(alice.customerId, "developer");
    expect((await call("/v1/me", { token: dev.token })).status).toBe(200);
    expect((await patch(dev.user.id, { role: "viewer" }, admin.token)).status).toBe(200);
    await expectProblem(await call("/v1/me", { token: dev.token }), { status: 401 });
    expect(await loginStatus(dev.user)).toBe(200);
  });

  it("deactivates with status=deactivated (sessions end at once, login refused) and reactivates with status=active", async () => {
    const dev = await userToken(alice.customerId, "developer");
    const response = await patch(dev.user.id, { status: "deactivated" }, admin.token);
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ status: "deactivated" });
    await expectProblem(await call("/v1/me", { token: dev.token }), { status: 401 });
    expect(await loginStatus(dev.user)).toBe(401);
    expect((await patch(dev.user.id, { status: "active" }, admin.token)).status).toBe(200);
    expect(await loginStatus(dev.user)).toBe(200);
    const events = await auditEvents(alice.customerId, dev.user.id);
    // The refused sign-in in between is on the record too (docs/auth.md, "Sign-in records").
    expect(events.map((e) => e.action)).toEqual(["user.updated", "user.login_failed", "user.updated"]);
    expect(events[0]!.data).toMatchObject({
      changes: { status: { from: "active", to: "deactivated" } },
      ended_sessions: 1,
    });
  });
});

describe("DELETE /v1/users/{id}", () => {
  it("deactivates the user: their existing token is refused on the very next request, and login is refused", async () => {
    const victim = await userToken(alice.customerId, "billing");
    expect((await call("/v1/invoices", { token: victim.token })).status).toBe(200);
    const response = await remove(victim.user.id, admin.token);
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({
      id: victim.user.id,
      object: "user",
      status: "deactivated",
      role: "billing",
    });
    await expectProblem(await call("/v1/invoices", { token: victim.token }), { status: 401 });
    expect(await loginStatus(victim.user)).toBe(401);

    const sessions = await asOwner((client) =>
      asCustomer(
        client,
        alice.customerId,
        async () =>
          (await client.query("SELECT revoked_at FROM user_sessions WHERE user_id = $1", [victim.user.id])).rows,
      ),
    );
    expect(sessions.length).toBeGreaterThan(0);
    expect(sessions.every((s) => s.revoked_at !== null)).toBe(true);
    const events = await auditEvents(alice.customerId, victim.user.id);
    expect(events).toEqual([
      expect.objectContaining({
        action: "user.deactivated",
        actor_id: admin.user.id,
        data: expect.objectContaining({ ended_sessions: 1 }),
      }),
      expect.objectContaining({
        action: "user.login_failed",
        data: expect.objectContaining({ reason: "user_inactive" }),
      }),
    ]);
  });

  it("is idempotent: deactivating a deactivated user answers 200 and audits nothing new", async () => {
    const gone = await createUser(alice.customerId, { role: "viewer", status: "deactivated" });
    const response = await remove(gone.id, admin.token);
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ status: "deactivated" });
    expect(await auditEvents(alice.customerId, gone.id)).toEqual([]);
  });

  it("answers 404 for another tenant's user and leaves it active", async () => {
    await expectProblem(await remove(bobUser.id, admin.token), { status: 404, type: "not-found" });
    expect(await loginStatus(bobUser)).toBe(200);
  });

  it("answers 400 for a malformed id, 401 without credentials, 403 without users:write", async () => {
    await expectProblem(await remove("not-a-uuid", admin.token), {
      status: 400,
      type: "validation-error",
      field: "param.id",
    });
    await expectProblem(await remove(viewer.user.id), { status: 401 });
    await expectProblem(await remove(viewer.user.id, viewer.token), { status: 403, type: "insufficient-permission" });
  });
});
