// Signing in with a passkey (docs/auth.md, "Passkeys"): usernameless, or as the second factor
// after a password with the login's mfa_token. Real assertions from a virtual authenticator
// (test/helpers/webauthn.ts), checked by the real verifier: user verification is required, each
// challenge answers once, the origin, RP ID, op and counter must be right, a deleted passkey
// opens nothing, and an mfa_token binds the sign-in to its user and is used once.
import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { issuePurposeToken } from "../../worker/auth/purpose-token.ts";
import { toBase64Url } from "../../worker/platform/encoding.ts";
import { call, expectProblem, type Schemas, send } from "../helpers/http.ts";
import { randomIp, userToken } from "../helpers/identity.ts";
import { owner } from "../helpers/invites.ts";
import { createTenant, type TestTenant } from "../helpers/tenants.ts";
import { FLAGS, registerPasskey, registrationOptions, type Tweaks, VirtualAuthenticator } from "../helpers/webauthn.ts";

type RequestOptions = {
  challenge: string;
  rpId: string;
  allowCredentials: { id: string }[];
  userVerification: string;
};
type LoginResult = Schemas["LoginResult"];

const post = (path: string, body: unknown) =>
  call(path, {
    method: "POST",
    headers: { "content-type": "application/json", "cf-connecting-ip": randomIp() },
    body: JSON.stringify(body),
  });
const signInOptions = async (body: { mfa_token?: string } = {}): Promise<RequestOptions> => {
  const response = await post("/v1/auth/passkeys/options", body);
  expect(response.status, await response.clone().text()).toBe(200);
  return response.json<RequestOptions>();
};
const signIn = (body: { response: unknown; mfa_token?: string }) => post("/v1/auth/passkeys", body);
const refused = async (response: Response) => expectProblem(response, { status: 401, type: "invalid-credentials" });

/** A "mfa" purpose token as the password login hands out when a second factor is due. */
const mfaToken = async (user: { id: string; customerId: string }) =>
  (await issuePurposeToken(env.SESSION_SIGNING_KEYS, "mfa", user.id, { cid: user.customerId }, 300)).token;

/** A user with one registered passkey. */
async function userWithPasskey(algorithm: "ES256" | "RS256" = "ES256") {
  const { user, token } = await userToken(tenant.customerId, "developer");
  const { authenticator, passkey } = await registerPasskey(token, algorithm);
  return { user, token, authenticator, passkey };
}

// Two hooks, each with its own timeout: a workerd's first login builds the app, its first
// registration loads the WebAuthn library (both take seconds on a loaded machine).
let tenant: TestTenant;
let signedUp: Awaited<ReturnType<typeof userToken>>;
let first: Awaited<ReturnType<typeof userWithPasskey>>;
beforeAll(async () => {
  tenant = await createTenant();
  signedUp = await userToken(tenant.customerId, "developer");
});
beforeAll(async () => {
  first = { ...signedUp, ...(await registerPasskey(signedUp.token, "ES256")) };
});
const usernameless = async (authenticator: VirtualAuthenticator, tweaks?: Tweaks) =>
  signIn({ response: await authenticator.assert(await signInOptions(), tweaks) });

describe("usernameless sign-in", () => {
  it("signs in with an ES256 passkey: a session that works on GET /v1/me, counter and last use recorded, audited", async () => {
    const { user, token, authenticator, passkey } = first;
    const options = await signInOptions();
    expect(options).toMatchObject({ allowCredentials: [], userVerification: "required" });
    const response = await signIn({ response: await authenticator.assert(options) });
    expect(response.status, await response.clone().text()).toBe(200);
    const result = await response.json<LoginResult>();
    expect(result).toMatchObject({ token_type: "Bearer", customer_id: tenant.customerId, user_id: user.id });
    const me = await send("GET", "/v1/me", result.session_token);
    expect(me.status).toBe(200);
    expect(await me.json()).toMatchObject({ type: "user_session", user: { id: user.id } });

    const [row] = await owner<{ counter: string; used: boolean }>(
      tenant.customerId,
      "SELECT counter, last_used_at IS NOT NULL AS used FROM user_passkeys WHERE id = $1",
      [passkey.id],
    );
    expect(row).toEqual({ counter: "1", used: true });
    const [audit] = await owner<{ data: Record<string, unknown> }>(
      tenant.customerId,
      "SELECT data FROM audit_events WHERE action = 'user.logged_in' AND resource_id = $1",
      [result.session_id],
    );
    expect(audit!.data).toMatchObject({ method: "passkey", passkey_id: passkey.id, second_factor: false });
    // The session is listed and ends like any other (the token from registration still works too).
    expect((await send("GET", "/v1/me", token)).status).toBe(200);
  });

  it("signs in with an RS256 passkey", async () => {
    const { user, authenticator } = await userWithPasskey("RS256");
    const response = await usernameless(authenticator);
    expect(response.status, await response.clone().text()).toBe(200);
    expect((await response.json<LoginResult>()).user_id).toBe(user.id);
  });

  it("refuses an assertion without user verification (UV flag missing)", async () => {
    const { authenticator } = await userWithPasskey();
    await refused(await usernameless(authenticator, { flags: FLAGS.UP }));
  });

  it("refuses the same assertion twice (challenge replay)", async () => {
    const { authenticator } = await userWithPasskey();
    const response = await authenticator.assert(await signInOptions());
    expect((await signIn({ response })).status).toBe(200);
    await refused(await signIn({ response }));
  });

  it("refuses a registration challenge, an expired one and one the API never issued", async () => {
    const { token, authenticator } = await userWithPasskey();
    const options = await signInOptions();
    const { challenge: registration } = await registrationOptions(token);
    await refused(await signIn({ response: await authenticator.assert({ ...options, challenge: registration }) }));
    const { token: expired } = await issuePurposeToken(
      env.SESSION_SIGNING_KEYS,
      "webauthn",
      "anonymous",
      { op: "login" },
      300,
      Date.now() - 600_000,
    );
    const old = toBase64Url(new TextEncoder().encode(expired));
    await refused(await signIn({ response: await authenticator.assert({ ...options, challenge: old }) }));
    const random = toBase64Url(crypto.getRandomValues(new Uint8Array(32)));
    await refused(await signIn({ response: await authenticator.assert({ ...options, challenge: random }) }));
    // The options themselves were never used up by those refusals.
    expect((await signIn({ response: await authenticator.assert(options) })).status).toBe(200);
  });

  it("refuses another origin and another RP ID", async () => {
    const { authenticator } = await userWithPasskey();
    await refused(await usernameless(authenticator, { origin: "https://portal.evil.example" }));
    await refused(await usernameless(authenticator, { rpId: "evil.example" }));
  });

  it("refuses a counter that went backwards", async () => {
    const { authenticator } = await userWithPasskey();
    expect((await usernameless(authenticator, { counter: 10 })).status).toBe(200);
    await refused(await usernameless(authenticator, { counter: 7 }));
    expect((await usernameless(authenticator, { counter: 11 })).status).toBe(200);
  });

  it("refuses a deleted passkey", async () => {
    const { token, authenticator, passkey } = await userWithPasskey();
    expect((await send("DELETE", `/v1/me/passkeys/${passkey.id}`, token)).status).toBe(204);
    await refused(await usernameless(authenticator));
  });

  it("refuses an unknown credential and a signature by another key", async () => {
    const { authenticator } = await userWithPasskey();
    const stranger = await VirtualAuthenticator.create("ES256", authenticator.origin);
    await refused(await usernameless(stranger));
    // Same credential id, but signed with a key the API does not know.
    const impostor = await VirtualAuthenticator.create("ES256", authenticator.origin);
    impostor.credentialId.set(authenticator.credentialId);
    await refused(await usernameless(impostor));
  });

  it("refuses a deactivated user's passkey", async () => {
    const { user, authenticator } = await userWithPasskey();
    await owner(tenant.customerId, "UPDATE users SET status = 'deactivated' WHERE id = $1", [user.id]);
    await refused(await usernameless(authenticator));
  });

  it("refuses an assertion whose user handle is not the credential's user", async () => {
    const { authenticator } = await userWithPasskey();
    authenticator.userHandle = toBase64Url(crypto.getRandomValues(new Uint8Array(32)));
    await refused(await usernameless(authenticator));
  });
});

describe("passkey as the second factor (mfa_token)", () => {
  it("lists the user's passkeys, signs in, and uses the mfa_token up", async () => {
    const { user, authenticator, passkey } = await userWithPasskey();
    const mfa = await mfaToken(user);
    const options = await signInOptions({ mfa_token: mfa });
    expect(options.allowCredentials.map((c) => c.id)).toEqual([authenticator.id]);
    const response = await signIn({ response: await authenticator.assert(options), mfa_token: mfa });
    expect(response.status, await response.clone().text()).toBe(200);
    const result = await response.json<LoginResult>();
    expect(result.user_id).toBe(user.id);
    expect((await send("GET", "/v1/me", result.session_token)).status).toBe(200);
    const [audit] = await owner<{ data: Record<string, unknown> }>(
      tenant.customerId,
      "SELECT data FROM audit_events WHERE action = 'user.logged_in' AND resource_id = $1",
      [result.session_id],
    );
    expect(audit!.data).toMatchObject({ method: "passkey", passkey_id: passkey.id, second_factor: true });

    // The mfa_token is spent: a fresh challenge for it signs nobody in.
    const again = await signInOptions({ mfa_token: mfa });
    await refused(await signIn({ response: await authenticator.assert(again), mfa_token: mfa }));
  });

  it("refuses another user's mfa_token", async () => {
    const mine = await userWithPasskey();
    const other = await userWithPasskey();
    const theirs = await mfaToken(other.user);
    const options = await signInOptions({ mfa_token: theirs });
    await refused(await signIn({ response: await mine.authenticator.assert(options), mfa_token: theirs }));
    // …and that refusal did not spend it: its owner still signs in with it.
    const ok = await signIn({ response: await other.authenticator.assert(options), mfa_token: theirs });
    expect(ok.status, await ok.clone().text()).toBe(200);
  });

  it("refuses a challenge and an mfa_token that do not belong together", async () => {
    const { user, authenticator } = await userWithPasskey();
    const mfa = await mfaToken(user);
    // A usernameless challenge with an mfa_token, and a second-factor challenge without it.
    await refused(await signIn({ response: await authenticator.assert(await signInOptions()), mfa_token: mfa }));
    await refused(await signIn({ response: await authenticator.assert(await signInOptions({ mfa_token: mfa })) }));
    // A forged or expired mfa_token is refused as early as the options.
    await refused(await post("/v1/auth/passkeys/options", { mfa_token: `${mfa.slice(0, -2)}xx` }));
  });
});
