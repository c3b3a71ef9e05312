// Passkey registration, listing and deletion (docs/auth.md, "Passkeys"): real WebAuthn responses
// from a virtual authenticator (test/helpers/webauthn.ts) checked by the real verifier; the
// challenge is single-use and bound to the user; a user sees and deletes only their own
// passkeys; each registration and deletion is audited and emailed.
import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { issuePurposeToken } from "../../worker/auth/purpose-token.ts";
import { toBase64Url } from "../../worker/platform/encoding.ts";
import { expectProblem, type Schemas, send } from "../helpers/http.ts";
import { userToken } from "../helpers/identity.ts";
import { owner } from "../helpers/invites.ts";
import { sentEmails } from "../helpers/sink.ts";
import { createTenant, type TestTenant } from "../helpers/tenants.ts";
import { eventually } from "../helpers/wait.ts";
import {
  FLAGS,
  portalOrigin,
  registerPasskey,
  registrationOptions,
  VirtualAuthenticator,
} from "../helpers/webauthn.ts";

// Two hooks, each with its own timeout: a workerd's first login builds the app, its first
// registration loads the WebAuthn library (both take seconds on a loaded machine).
let tenant: TestTenant;
let signedUp: Awaited<ReturnType<typeof userToken>>;
let registered: Awaited<ReturnType<typeof registerPasskey>>;
beforeAll(async () => {
  tenant = await createTenant();
  signedUp = await userToken(tenant.customerId, "developer");
});
beforeAll(async () => {
  registered = await registerPasskey(signedUp.token);
});

const list = async (token: string) => {
  const response = await send("GET", "/v1/me/passkeys", token);
  expect(response.status).toBe(200);
  return (await response.json<{ data: Schemas["Passkey"][] }>()).data;
};
const register = (token: string, body: unknown) => send("POST", "/v1/me/passkeys", token, body);
const emailsTo = async (address: string, subject: string) =>
  (await sentEmails()).filter(
    (e) => e.body.Destination.ToAddresses.includes(address) && e.body.Content.Simple.Subject.Data.includes(subject),
  );

describe("POST /v1/me/passkeys/options", () => {
  it("asks for a discoverable ES256/RS256 credential with user verification, for an opaque user handle", async () => {
    const { user, token } = await userToken(tenant.customerId, "developer");
    const options = await registrationOptions(token);
    expect(options.rp).toEqual({ id: new URL(portalOrigin()).hostname, name: "SecureBase" });
    expect(options.pubKeyCredParams.map((p) => p.alg)).toEqual([-7, -257]);
    expect(options.authenticatorSelection).toMatchObject({ residentKey: "required", userVerification: "required" });
    expect(options.attestation).toBe("none");
    expect(options.excludeCredentials).toEqual([]);
    expect(options.user.name).toBe(user.email);
    // The handle is neither the email nor the id, and stable for the user.
    expect(options.user.id).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(options.user.id).not.toContain(user.id);
    expect((await registrationOptions(token)).user.id).toBe(options.user.id);
    expect((await registrationOptions(token)).challenge).not.toBe(options.challenge);
  });

  it("is refused to an API key (403): keys have no passkeys", async () => {
    await expectProblem(await send("POST", "/v1/me/passkeys/options", tenant.key), {
      status: 403,
      type: "user-session-required",
    });
  });
});

describe("POST /v1/me/passkeys", () => {
  it("registers an ES256 passkey: stored with its key, audited, and the user is emailed", async () => {
    const { user, token } = await userToken(tenant.customerId, "developer");
    const { authenticator, passkey } = await registerPasskey(token, "ES256", "Laptop");
    expect(passkey).toMatchObject({
      object: "passkey",
      name: "Laptop",
      credential_id: authenticator.id,
      transports: ["internal"],
      device_type: "singleDevice",
      backed_up: false,
      last_used_at: null,
    });
    expect(passkey).not.toHaveProperty("public_key");
    const [row] = await owner<{ credential_id: string; counter: string; key_length: number }>(
      tenant.customerId,
      "SELECT encode(credential_id, 'base64') AS credential_id, counter, length(public_key) AS key_length FROM user_passkeys WHERE id = $1",
      [passkey.id],
    );
    expect(row!.credential_id.replace(/=+$/, "").replaceAll("+", "-").replaceAll("/", "_")).toBe(authenticator.id);
    expect(row!.key_length).toBeGreaterThan(64);
    const [audit] = await owner<{ actor_id: string }>(
      tenant.customerId,
      "SELECT actor_id FROM audit_events WHERE action = 'passkey.registered' AND resource_id = $1",
      [passkey.id],
    );
    expect(audit).toEqual({ actor_id: user.id });
    const [email] = await eventually(async () => {
      const found = await emailsTo(user.email, "passkey was added");
      if (found.length === 0) throw new Error("no passkey email yet");
      return found;
    });
    expect(email!.body.Content.Simple.Body.Text.Data).toContain("'Laptop'");
  });

  it("registers an RS256 passkey, and the next options exclude both credentials", async () => {
    const { token } = await userToken(tenant.customerId, "developer");
    const first = await registerPasskey(token, "ES256");
    const second = await registerPasskey(token, "RS256");
    expect(second.passkey.name).toBe("Passkey");
    const options = await registrationOptions(token);
    expect(options.excludeCredentials.map((c) => c.id).sort()).toEqual(
      [first.authenticator.id, second.authenticator.id].sort(),
    );
  });

  it("refuses a credential registered already (409)", async () => {
    const { token } = await userToken(tenant.customerId, "developer");
    const { authenticator } = await registerPasskey(token);
    const again = await authenticator.register(await registrationOptions(token));
    await expectProblem(await register(token, { response: again }), { status: 409, type: "passkey-exists" });
  });

  describe("refuses a response (422 on body.response) and stores nothing", () => {
    const refusedWith = async (
      make: (token: string, authenticator: VirtualAuthenticator, userId: string) => Promise<unknown>,
    ) => {
      const { user, token } = await userToken(tenant.customerId, "developer");
      const authenticator = await VirtualAuthenticator.create("ES256", portalOrigin());
      const response = await make(token, authenticator, user.id);
      await expectProblem(await register(token, { response }), { status: 422, field: "body.response" });
      expect(await list(token)).toEqual([]);
    };

    it("without user verification (UV flag missing)", () =>
      refusedWith(async (token, a) => a.register(await registrationOptions(token), { flags: FLAGS.UP | FLAGS.AT })));

    it("from another origin", () =>
      refusedWith(async (token, a) =>
        a.register(await registrationOptions(token), { origin: "https://evil.example" }),
      ));

    it("for another RP ID", () =>
      refusedWith(async (token, a) => a.register(await registrationOptions(token), { rpId: "evil.example" })));

    it("answering a challenge not issued by the API", () =>
      refusedWith(async (token, a) =>
        a.register(await registrationOptions(token), {
          challenge: toBase64Url(crypto.getRandomValues(new Uint8Array(32))),
        }),
      ));

    it("answering a sign-in challenge", () =>
      refusedWith(async (token, a) => {
        const login = await send("POST", "/v1/auth/passkeys/options", undefined, {});
        const { challenge } = await login.json<{ challenge: string }>();
        return a.register({ ...(await registrationOptions(token)), challenge });
      }));

    it("answering another user's challenge", () =>
      refusedWith(async (_token, a) => {
        const other = await userToken(tenant.customerId, "developer");
        return a.register(await registrationOptions(other.token));
      }));

    it("answering an expired challenge", () =>
      refusedWith(async (token, a, userId) => {
        const { token: expired } = await issuePurposeToken(
          env.SESSION_SIGNING_KEYS,
          "webauthn",
          userId,
          { op: "register", cid: tenant.customerId, uid: userId },
          300,
          Date.now() - 600_000,
        );
        return a.register({
          ...(await registrationOptions(token)),
          challenge: toBase64Url(new TextEncoder().encode(expired)),
        });
      }));

    it("answering a challenge used already", async () => {
      const { token } = await userToken(tenant.customerId, "developer");
      const options = await registrationOptions(token);
      const first = await VirtualAuthenticator.create("ES256", portalOrigin());
      const second = await VirtualAuthenticator.create("ES256", portalOrigin());
      expect((await register(token, { response: await first.register(options) })).status).toBe(201);
      await expectProblem(await register(token, { response: await second.register(options) }), {
        status: 422,
        field: "body.response",
      });
      expect((await list(token)).map((p) => p.credential_id)).toEqual([first.id]);
    });
  });
});

describe("GET /v1/me/passkeys and DELETE /v1/me/passkeys/{id}", () => {
  it("lists only my passkeys, oldest first", async () => {
    const me = await userToken(tenant.customerId, "developer");
    const colleague = await userToken(tenant.customerId, "developer");
    const a = await registerPasskey(me.token, "ES256", "one");
    const b = await registerPasskey(me.token, "RS256", "two");
    await registerPasskey(colleague.token, "ES256", "theirs");
    expect((await list(me.token)).map((p) => [p.id, p.name])).toEqual([
      [a.passkey.id, "one"],
      [b.passkey.id, "two"],
    ]);
  });

  it("deletes my passkey: gone from the list, audited, and I am emailed", async () => {
    const { user, token } = await userToken(tenant.customerId, "developer");
    const { passkey } = await registerPasskey(token, "ES256", "Old phone");
    expect((await send("DELETE", `/v1/me/passkeys/${passkey.id}`, token)).status).toBe(204);
    expect(await list(token)).toEqual([]);
    await expectProblem(await send("DELETE", `/v1/me/passkeys/${passkey.id}`, token), { status: 404 });
    const audits = await owner<{ action: string }>(
      tenant.customerId,
      "SELECT action FROM audit_events WHERE resource_id = $1 ORDER BY seq",
      [passkey.id],
    );
    expect(audits.map((a) => a.action)).toEqual(["passkey.registered", "passkey.deleted"]);
    await eventually(async () => {
      const found = await emailsTo(user.email, "passkey was removed");
      if (found.length === 0) throw new Error("no deletion email yet");
      expect(found[0]!.body.Content.Simple.Body.Text.Data).toContain("'Old phone'");
    });
  });

  it("does not let a colleague or another tenant's user delete my passkey (404)", async () => {
    const me = signedUp;
    const { passkey } = registered;
    const colleague = await userToken(tenant.customerId, "admin");
    const stranger = await userToken((await createTenant()).customerId, "admin");
    for (const other of [colleague, stranger])
      await expectProblem(await send("DELETE", `/v1/me/passkeys/${passkey.id}`, other.token), { status: 404 });
    expect((await list(me.token)).map((p) => p.id)).toEqual([passkey.id]);
  });
});
