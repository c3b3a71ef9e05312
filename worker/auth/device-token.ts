// Known-device tokens: proof that this client signed in as a user before. Issued with every
// successful login and sent back with the next one; once an account's failed logins reach the
// limit, only a login that carries one (for that user) may still try a password until the window
// ends (docs/auth.md, "Credentials"). A purpose token (purpose-token.ts): never a bearer credential.
import { issuePurposeToken, verifyPurposeToken } from "./purpose-token.ts";

export const DEVICE_TOKEN_TTL_SECONDS = 30 * 86_400;

/** A fresh device token for the user (a new device id each time). */
export async function issueDeviceToken(config: string, userId: string, now = Date.now()): Promise<string> {
  return (await issuePurposeToken(config, "known_device", userId, {}, DEVICE_TOKEN_TTL_SECONDS, now)).token;
}

/** The device id, if `token` is a valid device token of `userId`. */
export async function knownDevice(config: string, token: string | undefined, userId: string): Promise<string | null> {
  const claims = await verifyPurposeToken(config, "known_device", token);
  return claims?.sub === userId ? claims.jti : null;
}
