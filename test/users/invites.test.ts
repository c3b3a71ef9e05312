// /v1/invites: create (one-time token, emailed only, outbox, audit), list with computed status,
// and revoke. Acceptance: invite-accept.test.ts.
import { beforeAll, describe, expect, it } from "vitest";
import { userToken, type TestUser } from "../helpers/identity.ts";
import {
  expireInvite,
  invite,
  type InviteBody,
  newInvite,
  owner,
  PASSWORD,
  accept,
  revoke,
  sha256hex,
  tokenOf,
  uniqueEmail,
} from "../helpers/invites.ts";
import { call, createTenant, type TestTenant } from "../helpers/tenants.ts";
import { expectProblem } from "../helpers/http.ts";

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
    // The token goes to the invitee only: never in the inviter's response.
    expect(body).not.toHaveProperty("accept_token");
    expect(JSON.stringify(body)).not.toMatch(/token/);
    const token = await tokenOf(body);
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const days = (Date.parse(body.expires_at) - Date.parse(body.created_at)) / 86_400_000;
    expect(days).toBeGreaterThan(6.99);
    expect(days).toBeLessThan(7.01);

    const [row] = await owner<{ token_hash: string; invited_by: string }>(
      alice.customerId,
      "SELECT encode(token_hash, 'hex') AS token_hash, invited_by FROM user_invites WHERE id = $1",
      [body.id],
    );
    expect(row).toEqual({ token_hash: await sha256hex(token), invited_by: admin.user.id });

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
    expect(JSON.stringify(outbox)).not.toContain(token);
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

describe("GET /v1/invites", () => {
  it("lists the customer's invites with computed status, filterable by status", async () => {
    const tenant = await createTenant();
    const tenantAdmin = await userToken(tenant.customerId, "admin");
    const pending = await newInvite(tenantAdmin.token);
    const accepted = await newInvite(tenantAdmin.token);
    const revoked = await newInvite(tenantAdmin.token);
    const expired = await newInvite(tenantAdmin.token);
    expect((await accept({ token: await tokenOf(accepted), name: "Accepted", password: PASSWORD })).status).toBe(201);
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
    await expectProblem(await accept({ token: await tokenOf(pending), name: "Too Late", password: PASSWORD }), {
      status: 404,
      type: "invite-invalid",
    });
    // Revoking again changes nothing.
    expect((await revoke(pending.id, admin.token)).status).toBe(200);
  });

  it("answers 409 for an accepted invite", async () => {
    const used = await newInvite(admin.token);
    expect((await accept({ token: await tokenOf(used), name: "Joined", password: PASSWORD })).status).toBe(201);
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
