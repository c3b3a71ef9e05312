// API key format: sb_<mode>_<32 base62 chars> (≈190 random bits). Stored as SHA-256 + a short
// display prefix; the key itself is shown once. A fast hash is right for high-entropy secrets
// (SPEC §1): bcrypt would spend the Workers CPU budget and add nothing against brute force.
export type KeyMode = "live" | "test";

const ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
const SECRET_LENGTH = 32;
const KEY_PATTERN = /^sb_(live|test)_[0-9A-Za-z]{32}$/;
const PREFIX_LENGTH = "sb_test_".length + 6;

/** Unbiased base62: bytes >= 248 are rejected, so every character is equally likely. */
function randomBase62(length: number): string {
  let out = "";
  while (out.length < length) {
    for (const byte of crypto.getRandomValues(new Uint8Array(length * 2))) {
      if (byte < 248 && out.length < length) out += ALPHABET[byte % 62];
    }
  }
  return out;
}

export function generateApiKey(mode: KeyMode): { key: string; prefix: string } {
  const key = `sb_${mode}_${randomBase62(SECRET_LENGTH)}`;
  return { key, prefix: key.slice(0, PREFIX_LENGTH) };
}

export function looksLikeApiKey(token: string): boolean {
  return KEY_PATTERN.test(token);
}

export async function hashApiKey(key: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(key));
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
}
