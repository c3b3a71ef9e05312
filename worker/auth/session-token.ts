// Session tokens: HS256 JWTs signed with jose. Two kinds share one format:
//   typ "key"  — exchanged for an API key (POST /v1/auth/token), carries the key's scopes;
//   typ "user" — a portal login (POST /v1/auth/login), carries the role's permissions and the
//                user_sessions id, so logging out or revoking the session can be checked in KV,
//                and the session's end (`end`) and idle timeout (`idl`): the token itself lives
//                only the idle timeout and is renewed while in use (auth/middleware.ts).
// Every token names its signing key (`kid`), so keys rotate without logging anyone out: put the
// new key first in SESSION_SIGNING_KEYS and keep the old one after it until its tokens expired.
import { SignJWT, jwtVerify, errors } from "jose";
import { fromBase64 } from "../platform/encoding.ts";
import { jurisdictionClaim, type Principal } from "./principal.ts";
import type { Role, Tier } from "../../db/schema.ts";

export const SESSION_TOKEN_TTL_SECONDS = 3600;
export const USER_SESSION_TTL_SECONDS = 12 * 3600;
/** Idle timeout of a user session when its customer's policy says nothing else. */
export const USER_SESSION_IDLE_SECONDS = 3600;
const ISSUER = "securebase-edge-api";
const AUDIENCE = "securebase-api";

interface SigningKey {
  kid: string;
  secret: Uint8Array;
}

const parsed = new Map<string, SigningKey[]>();

export function signingKeys(config: string): SigningKey[] {
  const cached = parsed.get(config);
  if (cached) return cached;
  const keys = config
    .split(",")
    .map((entry) => entry.trim())
    .filter(Boolean)
    .map((entry) => {
      const separator = entry.indexOf(":");
      const kid = entry.slice(0, separator);
      const secret = fromBase64(entry.slice(separator + 1));
      if (separator < 1 || secret.length < 32)
        throw new Error("SESSION_SIGNING_KEYS entries must be kid:<base64url secret of >= 32 bytes>");
      return { kid, secret };
    });
  if (keys.length === 0) throw new Error("SESSION_SIGNING_KEYS is empty");
  parsed.set(config, keys);
  return keys;
}

/**
 * Signs a token for `principal`, valid for `ttlSeconds` but never past the principal's own
 * expiry (a key's expiry, a user session's end).
 */
export async function issueSessionToken(
  config: string,
  principal: Principal,
  ttlSeconds = SESSION_TOKEN_TTL_SECONDS,
  now = Date.now(),
): Promise<{ token: string; expiresIn: number; tokenId: string }> {
  const [current] = signingKeys(config);
  const nowSeconds = Math.floor(now / 1000);
  const remaining = principal.expiresAt === null ? Infinity : Math.floor(principal.expiresAt / 1000) - nowSeconds;
  const expiresIn = Math.max(1, Math.min(ttlSeconds, remaining));
  const user = principal.kind === "user_session";
  const tokenId = user ? principal.sessionId! : crypto.randomUUID();
  const token = await new SignJWT({
    typ: user ? "user" : "key",
    cid: principal.customerId,
    scp: principal.scopes,
    tier: principal.tier,
    mode: principal.mode,
    rl: principal.rateLimitPerMinute,
    // The customer's jurisdiction (docs/residency.md): where this token's quota objects live.
    jur: principal.dataJurisdiction,
    ...(user
      ? {
          role: principal.role,
          sa: principal.superAdmin,
          end: Math.floor((principal.sessionEndsAt ?? principal.expiresAt ?? now) / 1000),
          idl: principal.idleSeconds ?? ttlSeconds,
        }
      : {}),
  })
    .setProtectedHeader({ alg: "HS256", kid: current!.kid, typ: "JWT" })
    .setSubject(user ? principal.userId! : principal.keyId!)
    .setIssuer(ISSUER)
    .setAudience(AUDIENCE)
    .setIssuedAt(nowSeconds)
    .setExpirationTime(nowSeconds + expiresIn)
    .setJti(tokenId)
    .sign(current!.secret);
  return { token, expiresIn, tokenId };
}

/**
 * A renewed token for a user session in use: another idle period from now, never past the
 * session's end. Undefined when the session has ended (or the token predates idle timeouts).
 */
export async function renewUserSessionToken(
  config: string,
  principal: Principal,
  now = Date.now(),
): Promise<{ token: string; expiresIn: number } | undefined> {
  if (principal.kind !== "user_session" || !principal.sessionEndsAt || !principal.idleSeconds) return undefined;
  if (principal.sessionEndsAt <= now + 1000) return undefined;
  const renewed = { ...principal, expiresAt: principal.sessionEndsAt };
  const { token, expiresIn } = await issueSessionToken(config, renewed, principal.idleSeconds, now);
  return { token, expiresIn };
}

/** Whether a user session token has used up half its idle period: then it is renewed. */
export const renewalDue = (principal: Principal, now = Date.now()) =>
  principal.kind === "user_session" &&
  !!principal.idleSeconds &&
  !!principal.sessionEndsAt &&
  principal.expiresAt !== null &&
  principal.expiresAt - now < (principal.idleSeconds * 1000) / 2 &&
  principal.sessionEndsAt > principal.expiresAt;

/** jose's key lookup by `kid` among the configured signing keys (an unknown kid fails verification). */
export function verificationKey(config: string) {
  const keys = signingKeys(config);
  return (header: { kid?: string }) => {
    const key = keys.find((k) => k.kid === header.kid);
    if (!key) throw new errors.JWSSignatureVerificationFailed();
    return key.secret;
  };
}

/** Signature, issuer, audience and expiry only; revocation is checked by the caller (KV). */
export async function verifySessionToken(config: string, token: string): Promise<Principal | undefined> {
  try {
    const { payload } = await jwtVerify(token, verificationKey(config), {
      issuer: ISSUER,
      audience: AUDIENCE,
      algorithms: ["HS256"],
    });
    if (
      typeof payload.sub !== "string" ||
      typeof payload.cid !== "string" ||
      !Array.isArray(payload.scp) ||
      typeof payload.jti !== "string"
    ) {
      return undefined;
    }
    const user = payload.typ === "user";
    return {
      kind: user ? "user_session" : "session_token",
      customerId: payload.cid,
      keyId: user ? null : payload.sub,
      userId: user ? payload.sub : null,
      sessionId: payload.jti,
      role: user ? ((payload.role as Role) ?? null) : null,
      superAdmin: user && payload.sa === true,
      scopes: payload.scp.filter((s): s is string => typeof s === "string"),
      tier: payload.tier as Tier,
      mode: payload.mode === "live" ? "live" : "test",
      rateLimitPerMinute: typeof payload.rl === "number" ? payload.rl : 600,
      dataJurisdiction: jurisdictionClaim(payload.jur, payload.tier as Tier),
      expiresAt: (payload.exp ?? 0) * 1000,
      ...(user && typeof payload.end === "number" && typeof payload.idl === "number"
        ? { sessionEndsAt: payload.end * 1000, idleSeconds: payload.idl }
        : {}),
    };
  } catch {
    return undefined;
  }
}
