// POST /v1/invites/accept: the public acceptance that creates the user and signs them in — once
// only — with the token read from the invite email; every failure is one generic problem.
import { beforeAll, describe, expect, it } from "vitest";
import { createUser, login, randomIp, userToken, type TestUser } from "../helpers/identity.ts";
import {
  accept,
  type AcceptBody,
  expireInvite,
  jsonBody,
  newInvite,
  owner,
  PASSWORD,
  revoke,
  tokenOf,
} from "../helpers/invites.ts";
import { expectProblem, type Problem as ProblemBody } from "../helpers/http.ts";
import { call, createTenant, type TestTenant } from "../helpers/tenants.ts";

let alice: TestTenant;
let bob: TestTenant;
let admin: { user: TestUser; token: string };
let bobAdmin: { user: TestUser; token: string };
beforeAll(async () => {
  [alice, bob] = await Promise.all([createTenant(), createTenant()]);
  [admin, bobAdmin] = await Promise.all([userToken(alice.customerId, "admin"), userToken(bob.customerId, "admin")]);
});

describe("POST /v1/invites/accept", () => {
  it("invite -> accept -> the new user is signed in, can log in, and has the invited role", async () => {
    const sent = await newInvite(admin.token, "support");
    const response = await accept({ token: await tokenOf(sent), name: "Grace Hopper", password: PASSWORD });
    expect(response.status).toBe(201);
    const body = await response.json<AcceptBody>();
    expect(body).toMatchObject({
      user: { object: "user", email: sent.email, name: "Grace Hopper", role: "support", status: "active" },
      token_type: "Bearer",
      customer_id: alice.customerId,
    });
    // The token lives one idle period (1 h by default) and is renewed while in use, up to the
    // session's 12 h (test/auth/browser-sessions.test.ts, "idle timeout").
    expect(body.expires_in).toBe(3600);
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
    const token = await tokenOf(sent);
    expect((await accept({ token, name: "First", password: PASSWORD })).status).toBe(201);
    await expectProblem(await accept({ token, name: "Second", password: PASSWORD }), {
      status: 404,
      type: "invite-invalid",
    });
  });

  it("accepts once only when two accepts race", async () => {
    const sent = await newInvite(admin.token);
    const token = await tokenOf(sent);
    const responses = await Promise.all([
      accept({ token, name: "Racer One", password: PASSWORD }),
      accept({ token, name: "Racer Two", password: PASSWORD }),
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
    for (const token of [await tokenOf(expired), await tokenOf(revoked), "made-up-token"]) {
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
    await expectProblem(await accept({ token: await tokenOf(sent), name: "Late", password: PASSWORD }), {
      status: 404,
      type: "invite-invalid",
    });
  });

  it("refuses a weak password with 422 naming body.password, and the invite stays usable", async () => {
    const sent = await newInvite(admin.token);
    const token = await tokenOf(sent);
    await expectProblem(await accept({ token, name: "Weak", password: "short" }), {
      status: 422,
      type: "validation-error",
      field: "body.password",
    });
    await expectProblem(await accept({ token, name: "Weak", password: sent.email }), {
      status: 422,
      type: "validation-error",
      field: "body.password",
    });
    await expectProblem(await accept({ token, name: "Weak", password: "x".repeat(257) }), {
      status: 422,
      type: "validation-error",
      field: "body.password",
    });
    expect((await accept({ token, name: "Strong", password: PASSWORD })).status).toBe(201);
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

  it("answers the same problem when the address got a user elsewhere meanwhile, and the invite stays pending", async () => {
    const sent = await newInvite(admin.token);
    await createUser(bob.customerId, { email: sent.email });
    const taken = await expectProblem(await accept({ token: await tokenOf(sent), name: "Taken", password: PASSWORD }), {
      status: 404,
      type: "invite-invalid",
    });
    // Indistinguishable from a used or unknown token: an account in another tenant stays unseen.
    const unknown = await expectProblem(await accept({ token: "made-up-token", name: "Taken", password: PASSWORD }), {
      status: 404,
      type: "invite-invalid",
    });
    const { status, type, title, detail } = unknown;
    expect(taken).toMatchObject({ status, type, title, detail });
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
      ...jsonBody({ token: await tokenOf(sent), name: "Public", password: PASSWORD }, bobAdmin.token, {
        "cf-connecting-ip": randomIp(),
      }),
    });
    expect(response.status).toBe(201);
    expect((await response.json<AcceptBody>()).customer_id).toBe(alice.customerId);
  });
});
