// Signing in with a passkey (docs/auth.md, "Passkeys"): usernameless (a discoverable credential
// names its user), or as the second factor after a password (with the login's `mfa_token`). A
// passkey verified with user verification is itself two factors (the device, and the biometric
// or PIN that unlocked it), so either way the result is a full session.
import { OpenAPIHono, z } from "@hono/zod-openapi";
import type { PublicKeyCredentialRequestOptionsJSON } from "@simplewebauthn/server";
import { and, eq, or, sql } from "drizzle-orm";
import { userPasskeys, type Role } from "../../db/schema.ts";
import type { AppContext, AppEnv } from "../http/context.ts";
import { text } from "../http/input.ts";
import { ProblemError, problemResponses } from "../http/problem.ts";
import { jsonContent, jsonResponse, open } from "../http/routes.ts";
import { toBase64Url, toHex } from "../platform/encoding.ts";
import { sessionModeQuery } from "./browser-session.ts";
import { throttleLoginNetwork } from "./login-throttle.ts";
import {
  authenticationResponseSchema,
  CHALLENGE_TTL_SECONDS,
  clientChallenge,
  credentialDescriptorSchema,
  credentialIdBytes,
  issueChallenge,
  readChallenge,
  relyingParty,
  useChallengeOnce,
  userHandle,
} from "./passkeys.ts";
import type { Principal } from "./principal.ts";
import { useTokenOnce, verifyPurposeToken } from "./purpose-token.ts";
import { loginSecurity, type SecurityPolicy } from "./security-policy.ts";
import { answerSignIn, browserLoginResultSchema, loginResultSchema, startSession } from "./sign-in.ts";

const mfaTokenField = text({ min: 1, max: 2048 }).openapi({
  description: "The `mfa_token` of a password login that asked for a second factor: the passkey must be that user's.",
});

const requestOptionsSchema = z
  .object({
    challenge: z.string(),
    timeout: z.number().int(),
    rpId: z.string(),
    allowCredentials: z.array(credentialDescriptorSchema),
    userVerification: z.literal("required"),
    hints: z.array(z.string()),
  })
  .openapi("PasskeyRequestOptions", {
    description: "PublicKeyCredentialRequestOptionsJSON: pass it to navigator.credentials.get() (after parsing).",
  });

const optionsRoute = open({
  method: "post",
  path: "/v1/auth/passkeys/options",
  operationId: "createPasskeySignInOptions",
  tags: ["auth"],
  summary: "Options to sign in with a passkey (navigator.credentials.get)",
  description:
    "`{}`: a usernameless sign-in (empty `allowCredentials`; the authenticator offers its passkeys for this " +
    "site). `{mfa_token}`: the passkey as second factor after a password; `allowCredentials` lists that user's " +
    `passkeys. The challenge is valid ${CHALLENGE_TTL_SECONDS} s and once.`,
  request: {
    body: {
      content: jsonContent(
        z.strictObject({ mfa_token: mfaTokenField.optional() }).openapi("PasskeySignInOptionsRequest"),
      ),
      required: true,
    },
  },
  responses: { 200: jsonResponse(requestOptionsSchema, "Request options"), ...problemResponses(401, 422, 429) },
});

const signInRoute = open({
  method: "post",
  path: "/v1/auth/passkeys",
  operationId: "signInWithPasskey",
  tags: ["auth"],
  summary: "Sign a portal user in with a passkey",
  description:
    "Verifies the authenticator's answer (challenge, origin, RP ID, user verification, signature, counter) and " +
    "starts a session like a password login. Failures are one generic 401. Throttled per network like login.",
  request: {
    query: sessionModeQuery,
    body: {
      content: jsonContent(
        z
          .strictObject({ response: authenticationResponseSchema, mfa_token: mfaTokenField.optional() })
          .openapi("PasskeySignIn"),
      ),
      required: true,
    },
  },
  responses: {
    200: jsonResponse(z.union([loginResultSchema, browserLoginResultSchema]), "Signed in"),
    ...problemResponses(401, 403, 422, 429),
  },
});

const refused = () =>
  new ProblemError(401, "invalid-credentials", "Unauthorized", "The passkey could not sign you in.");

export interface PasskeyLoginRow extends Record<string, unknown> {
  passkey_id: string;
  user_id: string;
  customer_id: string;
  email: string;
  role: Role;
  platform_role: string | null;
  user_status: string;
  customer_status: string;
  tier: Principal["tier"];
  rate_limit_per_minute: number;
  data_jurisdiction: Principal["dataJurisdiction"];
  public_key: Uint8Array | string;
  counter: string | number;
}

const bytesOf = (value: Uint8Array | string) =>
  typeof value === "string"
    ? Uint8Array.from(value.slice(2).match(/../g) ?? [], (h) => parseInt(h, 16))
    : new Uint8Array(value);

/** The user a "mfa" token (from the password login's second-factor answer) stands for. */
async function mfaUser(c: AppContext, token: string | undefined) {
  if (token === undefined) return undefined;
  const claims = await verifyPurposeToken(c.env.SESSION_SIGNING_KEYS, "mfa", token);
  if (!claims || typeof claims.cid !== "string") throw refused();
  return { customerId: claims.cid, userId: claims.sub, claims };
}

/**
 * The session of a verified passkey, through the one session start (sign-in.ts): the customer's
 * policy, the audit and new-device record; the counter moves forward in the same transaction.
 */
export async function startPasskeySession(
  c: AppContext,
  row: PasskeyLoginRow,
  use: { newCounter: number; secondFactor: boolean; policy: SecurityPolicy },
) {
  return startSession(c, row, use.policy, {
    summary: `${row.email} logged in with a passkey`,
    method: "passkey",
    data: { passkey_id: row.passkey_id, second_factor: use.secondFactor },
    before: async (db) => {
      const [used] = await db
        .update(userPasskeys)
        .set({ counter: use.newCounter, lastUsedAt: sql`now()` })
        .where(
          and(
            eq(userPasskeys.customerId, row.customer_id),
            eq(userPasskeys.id, row.passkey_id),
            // A counter never goes back; authenticators that keep none send 0 every time.
            or(
              sql`${userPasskeys.counter} < ${use.newCounter}`,
              sql`${userPasskeys.counter} = 0 AND ${use.newCounter} = 0`,
            ),
          ),
        )
        .returning({ id: userPasskeys.id });
      if (!used) throw refused();
    },
  });
}

export const passkeySignInRoutes = new OpenAPIHono<AppEnv>()
  .openapi(optionsRoute, async (c) => {
    await throttleLoginNetwork(c);
    const mfa = await mfaUser(c, c.req.valid("json").mfa_token);
    const allowCredentials = mfa
      ? (
          await c.var.db.tenant({ customerId: mfa.customerId, userId: mfa.userId }, "read", (db) =>
            db
              .select({ credentialId: userPasskeys.credentialId, transports: userPasskeys.transports })
              .from(userPasskeys)
              .where(and(eq(userPasskeys.customerId, mfa.customerId), eq(userPasskeys.userId, mfa.userId))),
          )
        ).map((p) => ({ id: toBase64Url(p.credentialId), type: "public-key" as const, transports: p.transports }))
      : [];
    const options = {
      challenge: await issueChallenge(c, "login", mfa),
      timeout: CHALLENGE_TTL_SECONDS * 1000,
      rpId: relyingParty(c.env).id,
      allowCredentials,
      userVerification: "required" as const,
      hints: [],
    } satisfies PublicKeyCredentialRequestOptionsJSON;
    return c.json(options, 200);
  })
  .openapi(signInRoute, async (c) => {
    await throttleLoginNetwork(c);
    const { response, mfa_token: mfaToken } = c.req.valid("json");
    const mfa = await mfaUser(c, mfaToken);
    const challenge = clientChallenge(response.response.clientDataJSON);
    const claims = await readChallenge(c, "login", challenge);
    // A challenge issued for a second factor opens nothing without that user's mfa token, and a
    // second factor needs a challenge issued for it.
    if (!claims || (claims.uid ?? null) !== (mfa?.userId ?? null) || (claims.cid ?? null) !== (mfa?.customerId ?? null))
      throw refused();
    const credentialId = credentialIdBytes(response.id);
    if (!credentialId) throw refused();
    const [row] = await c.var.db.system<PasskeyLoginRow>("SELECT * FROM app.find_passkey_login(decode($1, 'hex'))", [
      toHex(credentialId),
    ]);
    if (row?.user_status !== "active" || row.customer_status !== "active") throw refused();
    if (mfa && (row.user_id !== mfa.userId || row.customer_id !== mfa.customerId)) throw refused();
    // A discoverable credential names its user: it must be the one the credential was made for.
    const handle = response.response.userHandle;
    if (handle && handle !== (await userHandle(row.customer_id, row.user_id))) throw refused();

    const rp = relyingParty(c.env);
    // Loaded on first use: the library is large and only these routes need it (BENCHMARKS.md).
    const { verifyAuthenticationResponse } = await import("@simplewebauthn/server");
    const verified = await verifyAuthenticationResponse({
      response: response as Parameters<typeof verifyAuthenticationResponse>[0]["response"],
      expectedChallenge: challenge!,
      expectedOrigin: rp.origin,
      expectedRPID: rp.id,
      credential: { id: response.id, publicKey: bytesOf(row.public_key), counter: Number(row.counter) },
      requireUserVerification: true,
    }).catch(() => {
      throw refused();
    });
    if (!verified.verified || !verified.authenticationInfo.userVerified) throw refused();
    // Single use, checked after the signature so that nobody can burn another's challenge.
    if (!(await useChallengeOnce(c.var.db, claims))) throw refused();
    if (mfa && !(await useTokenOnce(c.var.db, "mfa", mfa.claims))) throw refused();
    const { policy } = await loginSecurity(c.var.db, row.user_id, row.tier);
    // Passwordless sign-in is a method the organization may switch off; as a second factor it is not.
    if (!mfa && !policy.allowedSignInMethods.includes("passkey"))
      throw new ProblemError(
        403,
        "sign-in-method-not-allowed",
        "Sign-in method not allowed",
        "Your organization does not allow signing in with a passkey alone; sign in with your password.",
      );
    const result = await startPasskeySession(c, row, {
      newCounter: verified.authenticationInfo.newCounter,
      secondFactor: mfa !== undefined,
      policy,
    });
    return c.json(await answerSignIn(c, result), 200);
  });
