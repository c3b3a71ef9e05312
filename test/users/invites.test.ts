// /v1/invites: create (one-time token, outbox, audit), list with computed status, revoke, and
// the public acceptance that creates the user and signs them in — once only.
import { beforeAll, describe, expect, it } from "vitest";
import { asCustomer } from "../../dev/fixtures.ts";
import { asOwner } from "../helpers/database.ts";
import { createUser, login, randomIp, userToken, type TestUser } from "../helpers/identity.ts";
import { call, createTenant, type TestTenant } from "../helpers/tenants.ts";
import { expectProblem, type Problem as ProblemBody, type Schemas } from "../helpers/http.ts";

type InviteBody = Schemas["CreatedInvite"];
type AcceptBody = Schemas["AcceptedInvite"];

let counter = 0;
const uniqueEmail = (tag = "invitee") =>
  `${tag}-${Date.now().toString(36)}${(counter++).toString(36)}${Math.random().toString(36).slice(2, 6)}@example.com`;
const PASSWORD = "a perfectly long passphrase";

const jsonBody = (body: unknown, token?: string, headers: Record<string, string> = {}) => ({
  method: "POST",
  token,
  headers: { "content-type": "application/json", ...headers },
  body: JSON.stringify(body),
});
const invite = (body: unknown, token?: string) => call("/v1/invites", jsonBody(body, token));
const accept = (body: unknown) =>
  call("/v1/invites/accept", jsonBody(body, undefined, { "cf-connecting-ip": randomIp() }));
const revoke = (id: string, token?: string) => call(`/v1/invites/${id}`, { method: "DELETE", token });

async function newInvite(
  token: string,
  role = "developer",
  email = uniqueEmail(),
): Promise<InviteBody & { accept_token: string }> {
  const response = await invite({ email, role }, token);
  expect(response.status).toBe(201);
  return response.json();
}

const owner = <T>(customerId: string, sql: string, values: unknown[]) =>
  asOwner((client) => asCustomer(client, customerId, async () => (await client.query(sql, values)).rows as T[]));

const sha256hex = async (text: string) =>
  [...new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text)))]
    .map((b) => b.toString(16).padStart(2, "0"))
    .join("");

let alice: TestTenant;
let bob: TestTenant;
let admin: { user: TestUser; token: string };
let viewer: { user: TestUser; token: string };
let bobAdmin: { user: TestUser; token: string };
beforeAll(async () => {
  [alice, bob] = await Promise.all([createTenant(), createTenant()]);
  [admin, viewer, bobAdmin] = await Promise.all([
    userToken(alice.customerId, "admin"),
    userToken(alice.customerId, "viewer"),
    userToken(bob.customerId, "admin"),
  ]);
});

describe("POST /v1/invites", () => {
  it("creates a pending invite with a one-time token (only its hash stored), queued in the outbox and audited", async () => {
    const email = uniqueEmail("Mixed.Case");
    const response = await invite({ email, role: "billing" }, admin.token);
    expect(response.status).toBe(201);
    const body = await response.json<InviteBody>();
    expect(body).toMatchObject({
      object: "invite",
      email: email.toLowerCase(),
      role: "billing",
      status: "pending",
      invited_by: admin.user.id,
    });
    expect(body.accept_token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const days = (Date.parse(body.expires_at) - Date.parse(body.created_at)) / 86_400_000;
    expect(days).toBeGreaterThan(6.99);
    expect(days).toBeLessThan(7.01);

    const [row] = await owner<{ token_hash: string; invited_by: string }>(
      alice.customerId,
      "SELECT encode(token_hash, 'hex') AS token_hash, invited_by FROM user_invites WHERE id = $1",
      [body.id],
    );
    expect(row).toEqual({ token_hash: await sha256hex(body.accept_token!), invited_by: admin.user.id });

    const outbox = await owner<{ type: string; payload: Record<string, unknown> }>(
      alice.customerId,
      "SELECT type, payload FROM outbox_events WHERE customer_id = $1 AND payload->>'invite_id' = $2",
      [alice.customerId, body.id],
    );
    expect(outbox).toEqual([
      {
        type: "user.invited",
        payload: expect.objectContaining({
          invite_id: body.id,
          email: email.toLowerCase(),
          role: "billing",
          expires_at: body.expires_at,
        }),
      },
    ]);
    // The accept link is never readable at rest: sealed until the email is sent, then gone.
    expect(JSON.stringify(outbox)).not.toContain(body.accept_token!);
    expect(outbox[0]!.payload).not.toHaveProperty("accept_url");
    const audit = await owner<{ action: string; actor_id: string }>(
      alice.customerId,
      "SELECT action, actor_id FROM audit_events WHERE customer_id = $1 AND resource_id = $2",
      [alice.customerId, body.id],
    );
    expect(audit).toEqual([{ action: "user.invited", actor_id: admin.user.id }]);
  });

  it("records no inviter when an API key invites", async () => {
    const tenant = await createTenant({ scopes: ["users:write"] });
    const body = await newInvite(tenant.key, "viewer");
    expect(body.invited_by).toBeNull();
  });

  it("answers 409 for an email that already has a user in the customer", async () => {
    await expectProblem(await invite({ email: viewer.user.email.toUpperCase(), role: "viewer" }, admin.token), {
      status: 409,
      type: "user-exists",
    });
  });

  it("answers 409 while a pending invite for the email exists, and invites again once it is revoked", async () => {
    const first = await newInvite(admin.token);
    await expectProblem(await invite({ email: first.email, role: "admin" }, admin.token), {
      status: 409,
      type: "invite-pending",
    });
    expect((await revoke(first.id, admin.token)).status).toBe(200);
    expect((await invite({ email: first.email, role: "admin" }, admin.token)).status).toBe(201);
  });

  it("replaces an expired invite for the same email (which keeps reading as expired)", async () => {
    const old = await newInvite(admin.token);
    await expireInvite(alice.customerId, old.id);
    const fresh = await invite({ email: old.email, role: "support" }, admin.token);
    expect(fresh.status).toBe(201);
    const list = await (await call("/v1/invites?limit=100", { token: admin.token })).json<{ data: InviteBody[] }>();
    expect(list.data.find((i) => i.id === old.id)?.status).toBe("expired");
  });

  it("rejects invalid bodies with 422 naming the fields", async () => {
    await expectProblem(await invite({ email: "not-an-email", role: "viewer" }, admin.token), {
      status: 422,
      type: "validation-error",
      field: "body.email",
    });
    await expectProblem(await invite({ email: uniqueEmail(), role: "owner" }, admin.token), {
      status: 422,
      type: "validation-error",
      field: "body.role",
    });
    const missing = await expectProblem(await invite({}, admin.token), { status: 422, type: "validation-error" });
    expect(missing.errors!.map((e) => e.field).sort()).toEqual(["body.email", "body.role"]);
  });

  it("answers 401 without credentials and 403 without users:write", async () => {
    await expectProblem(await invite({ email: uniqueEmail(), role: "viewer" }), { status: 401 });
    await expectProblem(await invite({ email: uniqueEmail(), role: "viewer" }, viewer.token), {
      status: 403,
      type: "insufficient-permission",
    });
    await expectProblem(await invite({ email: uniqueEmail(), role: "viewer" }, alice.key), {
      status: 403,
      type: "insufficient-permission",
    });
  });
});

async function expireInvite(customerId: string, id: string) {
  await owner(
    customerId,
    "UPDATE user_invites SET created_at = now() - interval '8 days', expires_at = now() - interval '1 day' WHERE id = $1",
    [id],
  );
}

describe("GET /v1/invites", () => {
  it("lists the customer's invites with computed status, filterable by status", async () => {
    const tenant = await createTenant();
    const tenantAdmin = await userToken(tenant.customerId, "admin");
    const pending = await newInvite(tenantAdmin.token);
    const accepted = await newInvite(tenantAdmin.token);
    const revoked = await newInvite(tenantAdmin.token);
    const expired = await newInvite(tenantAdmin.token);
    expect((await accept({ token: accepted.accept_token, name: "Accepted", password: PASSWORD })).status).toBe(201);
    expect((await revoke(revoked.id, tenantAdmin.token)).status).toBe(200);
    await expireInvite(tenant.customerId, expired.id);

    const response = await call("/v1/invites", { token: tenantAdmin.token });
    expect(response.status).toBe(200);
    const page = await response.json<{ data: InviteBody[]; has_more: boolean; next_cursor: string | null }>();
    expect(page).toMatchObject({ has_more: false, next_cursor: null });
    expect(page.data.map((i) => [i.id, i.status])).toEqual([
      [expired.id, "expired"],
      [revoked.id, "revoked"],
      [accepted.id, "accepted"],
      [pending.id, "pending"],
    ]);
    expect(JSON.stringify(page)).not.toMatch(/token/);
    for (const [invite, status] of [
      [pending, "pending"],
      [accepted, "accepted"],
      [revoked, "revoked"],
      [expired, "expired"],
    ] as const) {
      const filtered = await (await call(`/v1/invites?status=${status}`, { token: tenantAdmin.token })).json<{
        data: InviteBody[];
      }>();
      expect(filtered.data.map((i) => i.id)).toEqual([invite.id]);
    }
    const paged = await (await call(`/v1/invites?limit=3`, { token: tenantAdmin.token })).json<{
      data: InviteBody[];
      next_cursor: string;
    }>();
    const rest = await (
      await call(`/v1/invites?limit=3&starting_after=${paged.next_cursor}`, { token: tenantAdmin.token })
    ).json<{ data: InviteBody[] }>();
    expect(rest.data.map((i) => i.id)).toEqual([pending.id]);
  });

  it("never shows another tenant's invites", async () => {
    const bobs = await newInvite(bobAdmin.token);
    const list = await (await call("/v1/invites?limit=100", { token: admin.token })).json<{ data: InviteBody[] }>();
    expect(list.data.map((i) => i.id)).not.toContain(bobs.id);
  });

  it("answers 400 for a bad status filter, 401 without credentials, 403 without users:read", async () => {
    await expectProblem(await call("/v1/invites?status=lost", { token: admin.token }), {
      status: 400,
      type: "validation-error",
      field: "query.status",
    });
    await expectProblem(await call("/v1/invites"), { status: 401 });
    await expectProblem(await call("/v1/invites", { token: viewer.token }), {
      status: 403,
      type: "insufficient-permission",
    });
  });
});

describe("DELETE /v1/invites/{id}", () => {
  it("revokes a pending invite, audited as user.invite_revoked; its token no longer accepts", async () => {
    const pending = await newInvite(admin.token);
    const response = await revoke(pending.id, admin.token);
    expect(response.status).toBe(200);
    const body = await response.json<InviteBody>();
    expect(body).toMatchObject({ id: pending.id, status: "revoked", revoked_at: expect.any(String) });
    const audit = await owner<{ action: string }>(
      alice.customerId,
      "SELECT action FROM audit_events WHERE resource_id = $1 ORDER BY seq",
      [pending.id],
    );
    expect(audit.map((a) => a.action)).toEqual(["user.invited", "user.invite_revoked"]);
    await expectProblem(await accept({ token: pending.accept_token, name: "Too Late", password: PASSWORD }), {
      status: 404,
      type: "invite-invalid",
    });
    // Revoking again changes nothing.
    expect((await revoke(pending.id, admin.token)).status).toBe(200);
  });

  it("answers 409 for an accepted invite", async () => {
    const used = await newInvite(admin.token);
    expect((await accept({ token: used.accept_token, name: "Joined", password: PASSWORD })).status).toBe(201);
    await expectProblem(await revoke(used.id, admin.token), { status: 409, type: "invite-accepted" });
  });

  it("answers 404 for another tenant's invite, which stays pending", async () => {
    const bobs = await newInvite(bobAdmin.token);
    await expectProblem(await revoke(bobs.id, admin.token), { status: 404, type: "not-found" });
    const list = await (await call("/v1/invites?status=pending&limit=100", { token: bobAdmin.token })).json<{
      data: InviteBody[];
    }>();
    expect(list.data.map((i) => i.id)).toContain(bobs.id);
  });

  it("answers 400 for a malformed id, 401 without credentials, 403 without users:write", async () => {
    const pending = await newInvite(admin.token);
    await expectProblem(await revoke("nope", admin.token), {
      status: 400,
      type: "validation-error",
      field: "param.id",
    });
    await expectProblem(await revoke(pending.id), { status: 401 });
    await expectProblem(await revoke(pending.id, viewer.token), { status: 403, type: "insufficient-permission" });
  });
});

describe("POST /v1/invites/accept", () => {
  it("invite -> accept -> the new user is signed in, can log in, and has the invited role", async () => {
    const sent = await newInvite(admin.token, "support");
    const response = await accept({ token: sent.accept_token, name: "Grace Hopper", password: PASSWORD });
    expect(response.status).toBe(201);
    const body = await response.json<AcceptBody>();
    expect(body).toMatchObject({
      user: { object: "user", email: sent.email, name: "Grace Hopper", role: "support", status: "active" },
      token_type: "Bearer",
      customer_id: alice.customerId,
    });
    // Ends with the 12-hour session it was recorded with (signed a moment later).
    expect(body.expires_in).toBeGreaterThan(12 * 3600 - 10);
    expect(body.expires_in).toBeLessThanOrEqual(12 * 3600);
    const me = await (await call("/v1/me", { token: body.session_token })).json<{
      user: { id: string; role: string };
      customer: { id: string };
    }>();
    expect(me).toMatchObject({ user: { id: body.user.id, role: "support" }, customer: { id: alice.customerId } });

    const token = await login(sent.email, PASSWORD);
    const again = await (await call("/v1/me", { token })).json<{ user: { role: string }; permissions: string[] }>();
    expect(again.user.role).toBe("support");
    expect(again.permissions).toContain("support:write");

    const listed = await (await call(`/v1/users/${body.user.id}`, { token: admin.token })).json<{ role: string }>();
    expect(listed.role).toBe("support");
    const audit = await owner<{ action: string; actor_type: string; actor_id: string }>(
      alice.customerId,
      "SELECT action, actor_type, actor_id FROM audit_events WHERE resource_id = $1 ORDER BY seq",
      [body.user.id],
    );
    expect(audit).toEqual([{ action: "user.invite_accepted", actor_type: "user", actor_id: body.user.id }]);
    const sessions = await owner<{ id: string }>(
      alice.customerId,
      "SELECT id FROM user_sessions WHERE user_id = $1 ORDER BY id",
      [body.user.id],
    );
    expect(sessions[0]!.id).toBe(body.session_id);
  });

  it("accepts an invite once only", async () => {
    const sent = await newInvite(admin.token);
    expect((await accept({ token: sent.accept_token, name: "First", password: PASSWORD })).status).toBe(201);
    const second = await expectProblem(await accept({ token: sent.accept_token, name: "Second", password: PASSWORD }), {
      status: 404,
      type: "invite-invalid",
    });
    expect(second.detail).toBe("This invite is invalid, expired or has already been used.");
  });

  it("accepts once only when two accepts race", async () => {
    const sent = await newInvite(admin.token);
    const responses = await Promise.all([
      accept({ token: sent.accept_token, name: "Racer One", password: PASSWORD }),
      accept({ token: sent.accept_token, name: "Racer Two", password: PASSWORD }),
    ]);
    expect(responses.map((r) => r.status).sort()).toEqual([201, 404]);
    const loser = responses.find((r) => r.status === 404)!;
    expect((await loser.json<ProblemBody>()).type).toMatch(/invite-invalid$/);
    const users = await owner(alice.customerId, "SELECT id FROM users WHERE email = $1", [sent.email]);
    expect(users).toHaveLength(1);
  });

  it("answers the same 404 for an expired, a revoked and an unknown token", async () => {
    const expired = await newInvite(admin.token);
    await expireInvite(alice.customerId, expired.id);
    const revoked = await newInvite(admin.token);
    await revoke(revoked.id, admin.token);
    const details = new Set<string>();
    for (const token of [expired.accept_token, revoked.accept_token, "made-up-token"]) {
      details.add(
        (
          await expectProblem(await accept({ token, name: "Nobody", password: PASSWORD }), {
            status: 404,
            type: "invite-invalid",
          })
        ).detail,
      );
    }
    expect(details.size).toBe(1);
  });

  it("answers the same 404 when the customer is no longer active", async () => {
    const tenant = await createTenant();
    const tenantAdmin = await userToken(tenant.customerId, "admin");
    const sent = await newInvite(tenantAdmin.token);
    await owner(tenant.customerId, "UPDATE customers SET status = 'suspended' WHERE id = $1", [tenant.customerId]);
    await expectProblem(await accept({ token: sent.accept_token, name: "Late", password: PASSWORD }), {
      status: 404,
      type: "invite-invalid",
    });
  });

  it("refuses a weak password with 422 naming body.password, and the invite stays usable", async () => {
    const sent = await newInvite(admin.token);
    await expectProblem(await accept({ token: sent.accept_token, name: "Weak", password: "short" }), {
      status: 422,
      type: "validation-error",
      field: "body.password",
    });
    await expectProblem(await accept({ token: sent.accept_token, name: "Weak", password: sent.email }), {
      status: 422,
      type: "validation-error",
      field: "body.password",
    });
    await expectProblem(await accept({ token: sent.accept_token, name: "Weak", password: "x".repeat(257) }), {
      status: 422,
      type: "validation-error",
      field: "body.password",
    });
    expect((await accept({ token: sent.accept_token, name: "Strong", password: PASSWORD })).status).toBe(201);
  });

  it("rejects invalid bodies with 422 naming the fields", async () => {
    const missing = await expectProblem(await accept({}), { status: 422, type: "validation-error" });
    expect(missing.errors!.map((e) => e.field).sort()).toEqual(["body.name", "body.password", "body.token"]);
    await expectProblem(await accept({ token: "t", name: "", password: PASSWORD }), {
      status: 422,
      type: "validation-error",
      field: "body.name",
    });
  });

  it("answers 409 email-taken when the address got a user elsewhere meanwhile, and the invite stays pending", async () => {
    const sent = await newInvite(admin.token);
    await createUser(bob.customerId, { email: sent.email });
    await expectProblem(await accept({ token: sent.accept_token, name: "Taken", password: PASSWORD }), {
      status: 409,
      type: "email-taken",
    });
    const [row] = await owner<{ accepted_at: string | null }>(
      alice.customerId,
      "SELECT accepted_at FROM user_invites WHERE id = $1",
      [sent.id],
    );
    expect(row!.accepted_at).toBeNull();
  });

  it("is public: it needs no credentials and ignores any that are sent", async () => {
    const sent = await newInvite(admin.token, "viewer");
    const response = await call("/v1/invites/accept", {
      ...jsonBody({ token: sent.accept_token, name: "Public", password: PASSWORD }, bobAdmin.token, {
        "cf-connecting-ip": randomIp(),
      }),
    });
    expect(response.status).toBe(201);
    expect((await response.json<AcceptBody>()).customer_id).toBe(alice.customerId);
  });
});
