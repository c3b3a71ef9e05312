// Known-device tokens: proof that this client signed in as a user before. Issued with every
// successful login and sent back with the next one; once an account's failed logins reach the
// limit, only a login that carries one (for that user) may still try a password until the window
// ends (docs/auth.md, "Credentials"). Signed with the session keys but for another audience, so
// one is never accepted as a bearer credential.
import { SignJWT, jwtVerify } from "jose";
import { signingKeys, verificationKey } from "./session-token.ts";

export const DEVICE_TOKEN_TTL_SECONDS = 30 * 86_400;
const ISSUER = "securebase-edge-api";
const AUDIENCE = "securebase-known-device";

/** A fresh device token for the user (a new device id each time). */
export async function issueDeviceToken(config: string, userId: string, now = Date.now()): Promise<string> {
  const [current] = signingKeys(config);
  const nowSeconds = Math.floor(now / 1000);
  return new SignJWT({ typ: "device" })
    .setProtectedHeader({ alg: "HS256", kid: current!.kid, typ: "JWT" })
    .setSubject(userId)
    .setIssuer(ISSUER)
    .setAudience(AUDIENCE)
    .setIssuedAt(nowSeconds)
    .setExpirationTime(nowSeconds + DEVICE_TOKEN_TTL_SECONDS)
    .setJti(crypto.randomUUID())
    .sign(current!.secret);
}

/** The device id, if `token` is a valid device token of `userId`. */
export async function knownDevice(config: string, token: string | undefined, userId: string): Promise<string | null> {
  if (!token) return null;
  try {
    const { payload } = await jwtVerify(token, verificationKey(config), {
      issuer: ISSUER,
      audience: AUDIENCE,
      algorithms: ["HS256"],
    });
    return payload.typ === "device" && payload.sub === userId && typeof payload.jti === "string" ? payload.jti : null;
  } catch {
    return null;
  }
}
