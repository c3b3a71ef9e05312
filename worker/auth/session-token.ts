// Session tokens: HS256 JWTs signed with jose. Every token names its signing key (`kid`) so keys
// rotate without logging anyone out: put the new key first in SESSION_SIGNING_KEYS and keep the
// old one after it until the last token it signed has expired.
import { SignJWT, jwtVerify, errors } from "jose";
import type { Principal } from "./principal.ts";
import type { Tier } from "../../db/schema.ts";

export const SESSION_TOKEN_TTL_SECONDS = 3600;
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
      const secret = base64UrlDecode(entry.slice(separator + 1));
      if (separator < 1 || secret.length < 32) throw new Error("SESSION_SIGNING_KEYS entries must be kid:<base64url secret of >= 32 bytes>");
      return { kid, secret };
    });
  if (keys.length === 0) throw new Error("SESSION_SIGNING_KEYS is empty");
  parsed.set(config, keys);
  return keys;
}

function base64UrlDecode(text: string): Uint8Array {
  const base64 = text.replaceAll("-", "+").replaceAll("_", "/");
  return Uint8Array.from(atob(base64 + "=".repeat((4 - (base64.length % 4)) % 4)), (ch) => ch.charCodeAt(0));
}

export async function issueSessionToken(config: string, principal: Principal, now = Date.now()): Promise<{ token: string; expiresIn: number }> {
  const [current] = signingKeys(config);
  const nowSeconds = Math.floor(now / 1000);
  // A session never outlives the key it was exchanged for.
  const keyRemaining = principal.expiresAt === null ? Infinity : Math.floor(principal.expiresAt / 1000) - nowSeconds;
  const expiresIn = Math.max(1, Math.min(SESSION_TOKEN_TTL_SECONDS, keyRemaining));
  const token = await new SignJWT({ cid: principal.customerId, scp: principal.scopes, tier: principal.tier, mode: principal.mode })
    .setProtectedHeader({ alg: "HS256", kid: current!.kid, typ: "JWT" })
    .setSubject(principal.keyId)
    .setIssuer(ISSUER)
    .setAudience(AUDIENCE)
    .setIssuedAt(nowSeconds)
    .setExpirationTime(nowSeconds + expiresIn)
    .setJti(crypto.randomUUID())
    .sign(current!.secret);
  return { token, expiresIn };
}

/** Returns the principal, or undefined for any invalid, expired or unknown-kid token. */
export async function verifySessionToken(config: string, token: string): Promise<Principal | undefined> {
  const keys = signingKeys(config);
  try {
    const { payload } = await jwtVerify(
      token,
      (header) => {
        const key = keys.find((k) => k.kid === header.kid);
        if (!key) throw new errors.JWSSignatureVerificationFailed();
        return key.secret;
      },
      { issuer: ISSUER, audience: AUDIENCE, algorithms: ["HS256"] },
    );
    if (typeof payload.sub !== "string" || typeof payload.cid !== "string" || !Array.isArray(payload.scp)) return undefined;
    return {
      kind: "session_token",
      customerId: payload.cid,
      keyId: payload.sub,
      scopes: payload.scp.filter((s): s is string => typeof s === "string"),
      tier: payload.tier as Tier,
      mode: payload.mode === "live" ? "live" : "test",
      expiresAt: (payload.exp ?? 0) * 1000,
    };
  } catch {
    return undefined;
  }
}
