// Invite tokens: 32 random bytes (base64url) emailed to the invitee, single use, 7 days.
// Only the SHA-256 is stored (user_invites.token_hash); acceptance looks it up by that hash.
import { sha256, toBase64Url } from "../platform/encoding.ts";

export const INVITE_TTL_DAYS = 7;

export const hashInviteToken = sha256;

export async function newInviteToken(): Promise<{ token: string; tokenHash: Uint8Array; expiresAt: Date }> {
  const bytes = crypto.getRandomValues(new Uint8Array(32));
  const token = toBase64Url(bytes);
  return {
    token,
    tokenHash: await hashInviteToken(token),
    expiresAt: new Date(Date.now() + INVITE_TTL_DAYS * 86_400_000),
  };
}
