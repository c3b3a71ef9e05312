// API key format: sb_<mode>_<32 base62 chars> (≈190 random bits). Stored as SHA-256 + a short
// display prefix; the key itself is shown once. A fast hash is right for high-entropy secrets
// (docs/auth.md): bcrypt would spend the Workers CPU budget and add nothing against brute force.
import { sha256, toHex } from "../platform/encoding.ts";

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

// Platform keys (docs/auth.md, "Platform keys"): sb_platform_<32 base62 chars>, hashed the same way.
const PLATFORM_KEY_PATTERN = /^sb_platform_[0-9A-Za-z]{32}$/;

export function generatePlatformKey(): { key: string; prefix: string } {
  const key = `sb_platform_${randomBase62(SECRET_LENGTH)}`;
  return { key, prefix: key.slice(0, "sb_platform_".length + 6) };
}

export function looksLikePlatformKey(token: string): boolean {
  return PLATFORM_KEY_PATTERN.test(token);
}

/** SHA-256 of the key, hex: the KV cache key and (decoded) the api_keys.key_hash value. */
export async function hashApiKey(key: string): Promise<string> {
  return toHex(await sha256(key));
}
