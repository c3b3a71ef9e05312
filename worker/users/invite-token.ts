// Invite tokens: 32 random bytes (base64url) emailed to the invitee, single use, 7 days.
// Only the SHA-256 is stored (user_invites.token_hash); acceptance looks it up by that hash.
export const INVITE_TTL_DAYS = 7;
export const PORTAL_ACCEPT_URL = "https://portal.securebase.io/invites/accept";

export async function hashInviteToken(token: string): Promise<Uint8Array> {
  return new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(token)));
}

export async function newInviteToken(): Promise<{ token: string; tokenHash: Uint8Array; expiresAt: Date }> {
  const bytes = crypto.getRandomValues(new Uint8Array(32));
  const token = btoa(String.fromCharCode(...bytes)).replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");
  return { token, tokenHash: await hashInviteToken(token), expiresAt: new Date(Date.now() + INVITE_TTL_DAYS * 86_400_000) };
}

export const hex = (bytes: Uint8Array) => [...bytes].map((b) => b.toString(16).padStart(2, "0")).join("");
