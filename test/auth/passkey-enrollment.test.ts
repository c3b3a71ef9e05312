// MFA enrolment with a passkey: where the organization requires a second factor, a member without
// one can register a passkey with the enrolment token, and that registration answers the session
// (as confirming an authenticator app does). The token opens nothing else and works once.
import { beforeAll, describe, expect, it } from "vitest";
import { send } from "../helpers/http.ts";
import { createUser, type TestUser } from "../helpers/identity.ts";
import { loginAttempt } from "../helpers/mfa.ts";
import { createTenant, type TestTenant } from "../helpers/tenants.ts";
import { portalOrigin, registrationOptions, VirtualAuthenticator } from "../helpers/webauthn.ts";

let tenant: TestTenant;
beforeAll(async () => {
  tenant = await createTenant({ mfaRequired: true });
});

async function grantFor(user: TestUser): Promise<string> {
  const { body } = await loginAttempt(user.email, user.password);
  expect(body).toEqual({ mfa_enrollment_required: true, enrollment_token: expect.any(String) });
  return body.enrollment_token as string;
}

describe("enrolment with a passkey", () => {
  // Two registrations, the first of this workerd loading the WebAuthn library: a hang guard, not a speed bound.
  it("registering a passkey with the enrolment token answers the session; the token is then used up", {
    timeout: 90_000,
  }, async () => {
    const user = await createUser(tenant.customerId, { role: "developer" });
    const grant = await grantFor(user);
    const authenticator = await VirtualAuthenticator.create("ES256", portalOrigin());
    const response = await authenticator.register(await registrationOptions(grant));
    const created = await send("POST", "/v1/me/passkeys", grant, { name: "Laptop", response });
    expect(created.status, await created.clone().text()).toBe(201);
    const body = await created.json<{ name: string; session: { session_token: string; user_id: string } }>();
    expect(body.name).toBe("Laptop");
    expect(body.session.user_id).toBe(user.id);
    const me = await send("GET", "/v1/me", body.session.session_token);
    expect(me.status).toBe(200);

    // Used up: another registration with the same grant starts no second session.
    const again = await VirtualAuthenticator.create("ES256", portalOrigin());
    const second = await send("POST", "/v1/me/passkeys", grant, {
      response: await again.register(await registrationOptions(grant)),
    });
    expect(second.status).toBe(401);
    // …and the refused registration stored nothing: one passkey only.
    const list = await send("GET", "/v1/me/passkeys", body.session.session_token);
    expect((await list.json<{ data: unknown[] }>()).data).toHaveLength(1);
    // The next password sign-in asks for the passkey.
    expect((await loginAttempt(user.email, user.password)).body).toMatchObject({
      mfa_required: true,
      methods: ["passkey"],
    });
  });

  it("the enrolment token does not list or delete passkeys", async () => {
    const grant = await grantFor(await createUser(tenant.customerId, { role: "developer" }));
    expect((await send("GET", "/v1/me/passkeys", grant)).status).toBe(401);
    expect((await send("DELETE", `/v1/me/passkeys/${crypto.randomUUID()}`, grant)).status).toBe(401);
  });
});
