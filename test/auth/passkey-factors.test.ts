// Passkeys among a user's factors: a password sign-in offers "passkey" in its MFA challenge, an
// admin's factor reset removes passkeys too, the organization can switch passwordless passkey
// sign-in off, and a passkey sign-in can set the browser cookie like any other.
import { beforeAll, describe, expect, it } from "vitest";
import { call, expectProblem } from "../helpers/http.ts";
import { randomIp, userToken } from "../helpers/identity.ts";
import { loginAttempt } from "../helpers/mfa.ts";
import { createTenant, type TestTenant } from "../helpers/tenants.ts";
import { registerPasskey } from "../helpers/webauthn.ts";

const post = (path: string, body: unknown, token?: string) =>
  call(path, {
    method: "POST",
    token,
    headers: { "content-type": "application/json", "cf-connecting-ip": randomIp() },
    body: JSON.stringify(body),
  });

async function usernameless(authenticator: Awaited<ReturnType<typeof registerPasskey>>["authenticator"], query = "") {
  const options = await (await post("/v1/auth/passkeys/options", {})).json<
    Parameters<typeof authenticator.assert>[0]
  >();
  return post(`/v1/auth/passkeys${query}`, { response: await authenticator.assert(options) });
}

describe("passkeys as a factor", () => {
  let tenant: TestTenant;
  let admin: Awaited<ReturnType<typeof userToken>>;
  beforeAll(async () => {
    tenant = await createTenant();
    admin = await userToken(tenant.customerId, "admin");
  });

  it("a password sign-in of a user with a passkey asks for the second factor and offers the passkey", async () => {
    const { user, token } = await userToken(tenant.customerId, "developer");
    await registerPasskey(token, "ES256");
    const { body } = await loginAttempt(user.email, user.password);
    expect(body).toMatchObject({ mfa_required: true, methods: ["passkey"] });
    expect(body.session_token).toBeUndefined();
  });

  it("a passkey sign-in with ?session=cookie sets the session cookie", async () => {
    const { token } = await userToken(tenant.customerId, "developer");
    const { authenticator } = await registerPasskey(token, "ES256");
    const res = await usernameless(authenticator, "?session=cookie");
    expect(res.status).toBe(200);
    const body = await res.json<Record<string, unknown>>();
    expect(body).toMatchObject({ token_type: "Cookie", csrf_token: expect.any(String) });
    expect(body.session_token).toBeUndefined();
    expect(res.headers.getSetCookie().some((c) => c.startsWith("__Host-sb_session=") && /HttpOnly/.test(c))).toBe(true);
  });

  it("an admin's factor reset removes the member's passkeys: they no longer sign in", async () => {
    const member = await userToken(tenant.customerId, "developer");
    const { authenticator } = await registerPasskey(member.token, "RS256");
    expect((await usernameless(authenticator)).status).toBe(200);
    const reset = await post(`/v1/users/${member.user.id}/mfa/reset`, {}, admin.token);
    expect(reset.status).toBeLessThan(300);
    await expectProblem(await usernameless(authenticator), { status: 401 });
    const { body } = await loginAttempt(member.user.email, member.user.password);
    expect(body.mfa_required).toBeUndefined();
  });

  it("an organization that allows only passwords refuses a passwordless passkey sign-in", async () => {
    const { token } = await userToken(tenant.customerId, "developer");
    const { authenticator } = await registerPasskey(token, "ES256");
    const patch = await call("/v1/security-policy", {
      method: "PATCH",
      token: admin.token,
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ allowed_sign_in_methods: ["password"] }),
    });
    expect(patch.status).toBe(200);
    try {
      await expectProblem(await usernameless(authenticator), { status: 403, type: "sign-in-method-not-allowed" });
    } finally {
      await call("/v1/security-policy", {
        method: "PATCH",
        token: admin.token,
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ allowed_sign_in_methods: ["password", "passkey"] }),
      });
    }
  });
});
