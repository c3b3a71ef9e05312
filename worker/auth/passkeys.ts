// Passkeys (WebAuthn) of portal users (docs/auth.md, "Passkeys"): the relying party the API
// speaks for, the stateless single-use challenges, and the shared wire schemas. Registration and
// listing are in passkey-routes.ts, sign-in in passkey-sign-in.ts.
//
// A challenge is a purpose token "webauthn" (purpose-token.ts) sent as the challenge bytes: the
// browser signs it inside clientDataJSON, so the server reads it back from there, checks its
// signature, expiry and claims, and marks it used once (app.use_token_once). No challenge state
// is stored between the two requests.
import { z } from "@hono/zod-openapi";
import type { AppContext } from "../http/context.ts";
import { ProblemError } from "../http/problem.ts";
import type { RequestDatabase } from "../platform/database.ts";
import { fromBase64, toBase64Url } from "../platform/encoding.ts";
import { issuePurposeToken, type PurposeClaims, useTokenOnce, verifyPurposeToken } from "./purpose-token.ts";

/** How long a browser has between asking for options and answering them. */
export const CHALLENGE_TTL_SECONDS = 300;
/** ES256 and RS256: what every platform authenticator and security key offers. */
export const PASSKEY_ALGORITHMS = [-7, -257] as const;

export type ChallengeOp = "register" | "login";
export interface ChallengeClaims extends PurposeClaims {
  op: ChallengeOp;
  cid?: string;
  uid?: string;
}

/** The relying party: the portal's origin (PORTAL_URL, else PUBLIC_API_URL) and its hostname as RP ID. */
export function relyingParty(env: { PORTAL_URL?: string; PUBLIC_API_URL: string }): { id: string; origin: string } {
  const url = new URL(env.PORTAL_URL || env.PUBLIC_API_URL);
  return { id: url.hostname, origin: url.origin };
}

/**
 * The WebAuthn user handle of a user: stable, opaque (no email, no id in the clear), derived so
 * nothing has to be stored: SHA-256 over a fixed label and the user's ids, base64url.
 */
export async function userHandle(customerId: string, userId: string): Promise<string> {
  const bytes = new TextEncoder().encode(`securebase-webauthn-user:${customerId}:${userId}`);
  return toBase64Url(new Uint8Array(await crypto.subtle.digest("SHA-256", bytes)));
}

/** A fresh challenge (base64url of the signed token) for `op`, bound to a user when one is known. */
export async function issueChallenge(
  c: AppContext,
  op: ChallengeOp,
  user?: { customerId: string; userId: string },
): Promise<string> {
  const claims = user ? { op, cid: user.customerId, uid: user.userId } : { op };
  const { token } = await issuePurposeToken(
    c.env.SESSION_SIGNING_KEYS,
    "webauthn",
    user?.userId ?? "anonymous",
    claims,
    CHALLENGE_TTL_SECONDS,
  );
  return toBase64Url(new TextEncoder().encode(token));
}

/** The `challenge` the browser put in clientDataJSON, or undefined when it is not readable. */
export function clientChallenge(clientDataJSON: string): string | undefined {
  try {
    const data: unknown = JSON.parse(new TextDecoder().decode(fromBase64(clientDataJSON)));
    const challenge = (data as { challenge?: unknown }).challenge;
    return typeof challenge === "string" && challenge.length <= 4096 ? challenge : undefined;
  } catch {
    return undefined;
  }
}

/** The claims of a valid, unexpired challenge of `op`; undefined for anything else. */
export async function readChallenge(
  c: AppContext,
  op: ChallengeOp,
  challenge: string | undefined,
): Promise<ChallengeClaims | undefined> {
  if (!challenge) return undefined;
  let token: string;
  try {
    token = new TextDecoder().decode(fromBase64(challenge));
  } catch {
    return undefined;
  }
  const claims = await verifyPurposeToken(c.env.SESSION_SIGNING_KEYS, "webauthn", token);
  return claims?.op === op ? (claims as ChallengeClaims) : undefined;
}

/** Marks a challenge used; false when it was already (a replayed response). */
export const useChallengeOnce = (db: RequestDatabase, claims: ChallengeClaims) => useTokenOnce(db, "webauthn", claims);

/** The credential id the browser sent (base64url) as bytes, or undefined when malformed. */
export function credentialIdBytes(id: string): Uint8Array | undefined {
  if (!/^[A-Za-z0-9_-]{1,1400}$/.test(id) || id.length % 4 === 1) return undefined;
  const bytes = fromBase64(id);
  return bytes.length >= 1 && bytes.length <= 1023 ? bytes : undefined;
}

/** A Postgres unique violation (23505), however drizzle wrapped it. */
export function isUniqueViolation(error: unknown): boolean {
  for (let e = error; e && typeof e === "object"; e = (e as { cause?: unknown }).cause)
    if ((e as { code?: unknown }).code === "23505") return true;
  return false;
}

const base64url = (max: number) =>
  z
    .string()
    .regex(/^[A-Za-z0-9_-]*$/, "must be base64url")
    .max(max);
const transports = z.array(z.enum(["ble", "cable", "hybrid", "internal", "nfc", "smart-card", "usb"])).max(8);
const extensionResults = z.record(z.string(), z.unknown()).openapi({ type: "object" });

/** @simplewebauthn's RegistrationResponseJSON, as navigator.credentials.create() answers (JSON). */
export const registrationResponseSchema = z
  .object({
    id: base64url(1400),
    rawId: base64url(1400),
    type: z.literal("public-key"),
    response: z.object({
      clientDataJSON: base64url(8192),
      attestationObject: base64url(16384),
      authenticatorData: base64url(8192).optional(),
      transports: transports.optional(),
      publicKeyAlgorithm: z.number().int().optional(),
      publicKey: base64url(4096).optional(),
    }),
    authenticatorAttachment: z.enum(["platform", "cross-platform"]).optional(),
    clientExtensionResults: extensionResults,
  })
  .openapi("RegistrationResponse");

/** @simplewebauthn's AuthenticationResponseJSON, as navigator.credentials.get() answers (JSON). */
export const authenticationResponseSchema = z
  .object({
    id: base64url(1400),
    rawId: base64url(1400),
    type: z.literal("public-key"),
    response: z.object({
      clientDataJSON: base64url(8192),
      authenticatorData: base64url(8192),
      signature: base64url(2048),
      userHandle: base64url(128).optional(),
    }),
    authenticatorAttachment: z.enum(["platform", "cross-platform"]).optional(),
    clientExtensionResults: extensionResults,
  })
  .openapi("AuthenticationResponse");

export const credentialDescriptorSchema = z.object({
  id: z.string(),
  type: z.literal("public-key"),
  transports: z.array(z.string()).optional(),
});

/** A refused WebAuthn response on a signed-in route (bad signature, origin, challenge…). */
export const passkeyRefused = (detail: string) =>
  new ProblemError(422, "validation-error", "Validation failed", `body.response ${detail}.`, {
    errors: [{ field: "body.response", code: "passkey_invalid", message: detail }],
  });
