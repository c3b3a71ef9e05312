// MFA enrolment (docs/auth.md, "Enrolment"): where the policy requires a second factor, a member
// without one gets an enrolment grant instead of a session, at login and when accepting an
// invite. The grant opens only the enrolment routes, and confirming the factor answers the
// session and uses the grant up.
import { beforeAll, describe, expect, it } from "vitest";
import { expectProblem, send } from "../helpers/http.ts";
import { createUser, userToken, type TestUser } from "../helpers/identity.ts";
import { accept, newInvite, PASSWORD, tokenOf } from "../helpers/invites.ts";
import { Authenticator, loginAttempt, mfaLogin } from "../helpers/mfa.ts";
import { createTenant, type TestTenant } from "../helpers/tenants.ts";

let tenant: TestTenant;
beforeAll(async () => {
  tenant = await createTenant({ mfaRequired: true });
});

async function grantFor(user: TestUser): Promise<string> {
  const { status, body } = await loginAttempt(user.email, user.password);
  expect(status).toBe(200);
  expect(body).toEqual({ mfa_enrollment_required: true, enrollment_token: expect.any(String) });
  return body.enrollment_token as string;
}

/** Enrols with the grant: the confirmation's body. */
async function enrolWith(grant: string) {
  const started = await send("POST", "/v1/me/mfa/totp", grant);
  expect(started.status).toBe(201);
  const app = new Authenticator((await started.json<{ secret: string }>()).secret);
  const confirmed = await send("POST", "/v1/me/mfa/totp/confirm", grant, { code: await app.next() });
  expect(confirmed.status, await confirmed.clone().text()).toBe(200);
  return { app, body: await confirmed.json<Record<string, unknown>>() };
}

describe("login where the policy requires MFA", () => {
  it("answers an enrolment grant, not a session", async () => {
    const user = await createUser(tenant.customerId, { role: "developer" });
    const { body } = await loginAttempt(user.email, user.password);
    expect(body).toEqual({ mfa_enrollment_required: true, enrollment_token: expect.any(String) });
    expect(body).not.toHaveProperty("session_token");
    expect(body).not.toHaveProperty("device_token");
  });

  it("applies the tier default: a healthcare customer without a stored policy requires MFA", async () => {
    const healthcare = await createTenant({ tier: "healthcare", mfaRequired: "tier-default" });
    await grantFor(await createUser(healthcare.customerId, { role: "viewer" }));
    const standard = await createTenant({ tier: "standard", mfaRequired: "tier-default" });
    const plain = await createUser(standard.customerId, { role: "viewer" });
    expect((await loginAttempt(plain.email, plain.password)).body).toHaveProperty("session_token");
  });

  it("the grant is a 401 everywhere but the enrolment routes", async () => {
    const grant = await grantFor(await createUser(tenant.customerId, { role: "admin" }));
    for (const [method, path, body] of [
      ["GET", "/v1/me", undefined],
      ["GET", "/v1/invoices", undefined],
      ["GET", "/v1/users", undefined],
      ["GET", "/v1/security-policy", undefined],
      ["GET", "/v1/sessions", undefined],
      ["DELETE", "/v1/me/mfa/totp", { code: "123456" }],
      ["POST", "/v1/me/password", { current_password: "x", new_password: "a long enough new passphrase" }],
      ["POST", "/v1/auth/logout", undefined],
    ] as const) {
      await expectProblem(await send(method, path, grant, body), { status: 401 });
    }
    // Nor is it a second step of a login.
    await expectProblem(await mfaLogin({ mfa_token: grant, code: "123456" }), { status: 401 });
  });

  it("confirming with the grant answers the recovery codes and a session, and uses the grant up", async () => {
    const user = await createUser(tenant.customerId, { role: "billing" });
    const grant = await grantFor(user);
    const { app, body } = await enrolWith(grant);
    expect(body.recovery_codes).toHaveLength(10);
    expect(body).toMatchObject({ user_id: user.id, customer_id: tenant.customerId, token_type: "Bearer" });
    const me = await send("GET", "/v1/me", body.session_token as string);
    expect(me.status).toBe(200);
    expect((await me.json<{ type: string }>()).type).toBe("user_session");
    // Used up: it confirms nothing more.
    await expectProblem(await send("POST", "/v1/me/mfa/totp/confirm", grant, { code: await app.next() }), {
      status: 422,
    });
    // The next login is a second-factor challenge.
    const { body: next } = await loginAttempt(user.email, user.password);
    expect(next).toMatchObject({ mfa_required: true, methods: ["totp", "recovery_code"] });
    expect((await mfaLogin({ mfa_token: next.mfa_token, code: await app.next() })).status).toBe(200);
  });

  it("a wrong code at confirmation is a 422 and the grant still works", async () => {
    const grant = await grantFor(await createUser(tenant.customerId, { role: "viewer" }));
    const started = await send("POST", "/v1/me/mfa/totp", grant);
    const app = new Authenticator((await started.json<{ secret: string }>()).secret);
    await expectProblem(await send("POST", "/v1/me/mfa/totp/confirm", grant, { code: "000000" }), {
      status: 422,
      field: "body.code",
    });
    expect((await send("POST", "/v1/me/mfa/totp/confirm", grant, { code: await app.next() })).status).toBe(200);
  });
});

describe("invite acceptance where the policy requires MFA", () => {
  it("creates the user and answers an enrolment grant instead of a session", async () => {
    const open = await createTenant();
    const { token: admin } = await userToken(open.customerId, "admin");
    const patched = await send("PATCH", "/v1/security-policy", admin, { mfa_required: true });
    expect(patched.status).toBe(200);
    const sent = await newInvite(admin, "viewer");
    const response = await accept({ token: await tokenOf(sent), name: "New Member", password: PASSWORD });
    expect(response.status).toBe(200);
    const body = await response.json<Record<string, unknown>>();
    expect(body).toMatchObject({ mfa_enrollment_required: true, user: { email: sent.email } });
    expect(body).not.toHaveProperty("session_token");
    const { body: confirmed } = await enrolWith(body.enrollment_token as string);
    expect((await send("GET", "/v1/me", confirmed.session_token as string)).status).toBe(200);
  });
});
