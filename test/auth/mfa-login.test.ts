// The second step of a login (docs/auth.md, "Second factors"): a user with TOTP gets a challenge
// (no session, no device token), and the mfa_token plus a code gives the session. The token works
// once, for 5 minutes, for 5 codes, and is never a bearer credential.
import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { issuePurposeToken } from "../../worker/auth/purpose-token.ts";
import { expectProblem, send } from "../helpers/http.ts";
import { createUser, login, type TestUser } from "../helpers/identity.ts";
import { owner } from "../helpers/invites.ts";
import { type Authenticator, enrolTotp, loginAttempt, mfaLogin } from "../helpers/mfa.ts";
import { createTenant, type TestTenant } from "../helpers/tenants.ts";

let tenant: TestTenant;
beforeAll(async () => {
  tenant = await createTenant();
});

/** A user with a confirmed authenticator, and its app. */
async function enrolledUser(): Promise<{ user: TestUser; app: Authenticator; recoveryCodes: string[] }> {
  const user = await createUser(tenant.customerId, { role: "billing" });
  const { app, recoveryCodes } = await enrolTotp(await login(user.email, user.password));
  return { user, app, recoveryCodes };
}

async function challenge(user: TestUser): Promise<string> {
  const { status, body } = await loginAttempt(user.email, user.password);
  expect(status).toBe(200);
  return body.mfa_token as string;
}

describe("POST /v1/auth/login with a second factor", () => {
  it("answers a challenge with the methods, and no session or device token", async () => {
    const { user } = await enrolledUser();
    const { status, body } = await loginAttempt(user.email, user.password);
    expect(status).toBe(200);
    expect(body).toEqual({ mfa_required: true, mfa_token: expect.any(String), methods: ["totp", "recovery_code"] });
    expect(body).not.toHaveProperty("session_token");
    expect(body).not.toHaveProperty("device_token");
  });

  it("still refuses a wrong password with the same 401 (no challenge)", async () => {
    const { user } = await enrolledUser();
    const { status, body } = await loginAttempt(user.email, "not the password at all");
    expect(status).toBe(401);
    expect(body).not.toHaveProperty("mfa_token");
  });
});

describe("POST /v1/auth/login/mfa", () => {
  it("turns the mfa_token and a code into a session, audited with the method", async () => {
    const { user, app } = await enrolledUser();
    const response = await mfaLogin({ mfa_token: await challenge(user), code: await app.next() });
    expect(response.status).toBe(200);
    const body = await response.json<{ session_token: string; session_id: string; device_token: string }>();
    expect(body).toMatchObject({ user_id: user.id, customer_id: tenant.customerId, token_type: "Bearer" });
    expect(body.device_token).toEqual(expect.any(String));
    const me = await send("GET", "/v1/me", body.session_token);
    expect(me.status).toBe(200);
    const [audit] = await owner<{ data: { method: string; mfa: boolean } }>(
      tenant.customerId,
      "SELECT data FROM audit_events WHERE resource_id = $1 AND action = 'user.logged_in'",
      [body.session_id],
    );
    expect(audit!.data).toMatchObject({ method: "totp", mfa: true });
  });

  it("refuses a second use of the mfa_token, even with a fresh code", async () => {
    const { user, app } = await enrolledUser();
    const token = await challenge(user);
    expect((await mfaLogin({ mfa_token: token, code: await app.next() })).status).toBe(200);
    await expectProblem(await mfaLogin({ mfa_token: token, code: await app.next() }), {
      status: 401,
      type: "mfa-failed",
    });
  });

  it("refuses a replayed code with a new mfa_token", async () => {
    const { user, app } = await enrolledUser();
    const code = await app.next();
    expect((await mfaLogin({ mfa_token: await challenge(user), code })).status).toBe(200);
    await expectProblem(await mfaLogin({ mfa_token: await challenge(user), code }), { status: 401 });
  });

  it("kills the mfa_token after 5 wrong codes: the right one no longer works", async () => {
    const { user, app } = await enrolledUser();
    const token = await challenge(user);
    for (let i = 0; i < 5; i++)
      await expectProblem(await mfaLogin({ mfa_token: token, code: "000000" }), { status: 401, type: "mfa-failed" });
    await expectProblem(await mfaLogin({ mfa_token: token, code: await app.next() }), {
      status: 401,
      type: "mfa-failed",
    });
    // A new login gets a new token that works.
    expect((await mfaLogin({ mfa_token: await challenge(user), code: await app.next() })).status).toBe(200);
  });

  it("refuses an expired or forged mfa_token", async () => {
    const { user, app } = await enrolledUser();
    const expired = await issuePurposeToken(
      env.SESSION_SIGNING_KEYS,
      "mfa",
      user.id,
      { cid: tenant.customerId, role: "billing" },
      300,
      Date.now() - 301_000,
    );
    await expectProblem(await mfaLogin({ mfa_token: expired.token, code: await app.next() }), { status: 401 });
    const enrolment = await issuePurposeToken(
      env.SESSION_SIGNING_KEYS,
      "mfa_enrollment",
      user.id,
      { cid: tenant.customerId, role: "billing" },
      300,
    );
    await expectProblem(await mfaLogin({ mfa_token: enrolment.token, code: await app.next() }), { status: 401 });
    await expectProblem(await mfaLogin({ mfa_token: "not-a-token", code: "123456" }), { status: 401 });
  });

  it("needs exactly one of code or recovery_code", async () => {
    const { user } = await enrolledUser();
    await expectProblem(await mfaLogin({ mfa_token: await challenge(user) }), { status: 422 });
  });
});

describe("the mfa_token is not a credential", () => {
  it("is a 401 as a bearer token on every kind of route", async () => {
    const { user } = await enrolledUser();
    const token = await challenge(user);
    for (const [method, path, body] of [
      ["GET", "/v1/me", undefined],
      ["GET", "/v1/invoices", undefined],
      ["GET", "/v1/users", undefined],
      ["POST", "/v1/me/mfa/totp", undefined],
      ["POST", "/v1/me/mfa/totp/confirm", { code: "123456" }],
      ["POST", "/v1/auth/logout", undefined],
    ] as const) {
      await expectProblem(await send(method, path, token, body), { status: 401 });
    }
  });
});
