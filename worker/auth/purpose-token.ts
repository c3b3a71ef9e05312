// Short-lived signed tokens that each open one step of a sign-in and nothing else: a known
// device, a pending second factor, an MFA enrolment, a WebAuthn challenge (docs/auth.md). Signed
// with the session keys but each for its own audience, so none is ever accepted as a bearer
// credential or in place of another purpose. Single use, where a purpose needs it, is recorded
// in Postgres (app.use_token_once) so it holds across isolates.
import { SignJWT, jwtVerify, type JWTPayload } from "jose";
import type { RequestDatabase } from "../platform/database.ts";
import { signingKeys, verificationKey } from "./session-token.ts";

const ISSUER = "securebase-edge-api";

export type TokenPurpose = "known_device" | "mfa" | "mfa_enrollment" | "webauthn";

/** Claims every purpose token carries: its subject (a user id or "anonymous"), id and expiry. */
export interface PurposeClaims {
  sub: string;
  jti: string;
  exp: number;
  [claim: string]: unknown;
}

const audience = (purpose: TokenPurpose) => `securebase-${purpose.replace("_", "-")}`;

/** A fresh token for `purpose` about `subject`, valid `ttlSeconds`, with a new id. */
export async function issuePurposeToken(
  config: string,
  purpose: TokenPurpose,
  subject: string,
  claims: Record<string, unknown>,
  ttlSeconds: number,
  now = Date.now(),
): Promise<{ token: string; jti: string; expiresAt: Date }> {
  const [current] = signingKeys(config);
  const nowSeconds = Math.floor(now / 1000);
  const jti = crypto.randomUUID();
  const token = await new SignJWT({ ...claims, typ: purpose })
    .setProtectedHeader({ alg: "HS256", kid: current!.kid, typ: "JWT" })
    .setSubject(subject)
    .setIssuer(ISSUER)
    .setAudience(audience(purpose))
    .setIssuedAt(nowSeconds)
    .setExpirationTime(nowSeconds + ttlSeconds)
    .setJti(jti)
    .sign(current!.secret);
  return { token, jti, expiresAt: new Date((nowSeconds + ttlSeconds) * 1000) };
}

/** The claims of a valid, unexpired token of `purpose`; undefined for anything else. */
export async function verifyPurposeToken(
  config: string,
  purpose: TokenPurpose,
  token: string | undefined,
): Promise<PurposeClaims | undefined> {
  if (!token) return undefined;
  try {
    const { payload } = await jwtVerify(token, verificationKey(config), {
      issuer: ISSUER,
      audience: audience(purpose),
      algorithms: ["HS256"],
    });
    return isComplete(payload) && payload.typ === purpose ? payload : undefined;
  } catch {
    return undefined;
  }
}

const isComplete = (payload: JWTPayload): payload is PurposeClaims =>
  typeof payload.sub === "string" && typeof payload.jti === "string" && typeof payload.exp === "number";

/**
 * Marks a verified token used: true the first time, false on every later try (any isolate).
 * Runs as its own statement, outside any tenant transaction, so a refusal afterwards does not
 * give the token back.
 */
export async function useTokenOnce(
  db: RequestDatabase,
  purpose: TokenPurpose,
  claims: PurposeClaims,
): Promise<boolean> {
  const [row] = await db.system<{ fresh: boolean }>(
    "SELECT app.use_token_once($1::uuid, $2, to_timestamp($3)) AS fresh",
    [claims.jti, purpose, claims.exp],
  );
  return row?.fresh === true;
}
