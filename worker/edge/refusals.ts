// Refusals the edge front has learned from the data Worker (docs/architecture.md, "Where each
// part runs"). The front never decides that a credential is good; it only repeats, near the
// user, a refusal the data Worker has already given for the same bearer token:
//
// - 401 for an API key (unknown, revoked, expired, or its customer suspended / its creator
//   deactivated). Kept in isolate memory and in KV (every location of this account shares it)
//   for REFUSED_KEY_TTL_SECONDS, KV's minimum: the last two are not final, so a key whose
//   customer or creator is reinstated is refused at the edge for at most that long after.
// - 429 of the per-subject API quota (worker/auth/middleware.ts rateLimit): until its
//   Retry-After, in isolate memory only (short-lived, and a repeat in another isolate just pays
//   the long hop once more). Other throttles' 429s (login, password change) are per action, not
//   per credential, and are never learned.
//
// Keys of both maps are the SHA-256 of the bearer token (for an API key, the same hash as
// api_keys.key_hash and the principal cache), never the token.
import { sha256, toHex } from "../platform/encoding.ts";

export const REFUSED_KEY_TTL_SECONDS = 60;
const MAX_ENTRIES = 10_000;

/** The detail of the data Worker's 401 for credentials that are invalid, expired or revoked. */
export const INVALID_CREDENTIALS_DETAIL = "The credentials are invalid, expired or revoked.";

export const refusedKeyKvKey = (tokenHash: string) => `edge-refused-key:v1:${tokenHash}`;

export interface QuotaRefusal {
  until: number;
  limit: string;
}

const refusedKeys = new Map<string, number>();
const quotaRefusals = new Map<string, QuotaRefusal>();

export const tokenHash = async (token: string) => toHex(await sha256(token));

function bounded<V>(map: Map<string, V>, key: string, value: V): void {
  if (map.size >= MAX_ENTRIES && !map.has(key)) map.delete(map.keys().next().value!);
  map.set(key, value);
}

/** Whether this isolate already knows the key is refused (no I/O). */
export function keyRefusedHere(hash: string, now = Date.now()): boolean {
  const until = refusedKeys.get(hash);
  if (until === undefined) return false;
  if (until > now) return true;
  refusedKeys.delete(hash);
  return false;
}

/** Whether KV says the key was refused (one KV read; remembered in this isolate when it was). */
export async function keyRefusedInKv(kv: KVNamespace, hash: string, now = Date.now()): Promise<boolean> {
  const stored = await kv.get(refusedKeyKvKey(hash));
  if (stored === null) return false;
  bounded(refusedKeys, hash, now + REFUSED_KEY_TTL_SECONDS * 1000);
  return true;
}

export async function rememberRefusedKey(kv: KVNamespace, hash: string, now = Date.now()): Promise<void> {
  bounded(refusedKeys, hash, now + REFUSED_KEY_TTL_SECONDS * 1000);
  await kv.put(refusedKeyKvKey(hash), "1", { expirationTtl: REFUSED_KEY_TTL_SECONDS });
}

export function quotaRefusedHere(hash: string, now = Date.now()): QuotaRefusal | undefined {
  const refusal = quotaRefusals.get(hash);
  if (!refusal) return undefined;
  if (refusal.until > now) return refusal;
  quotaRefusals.delete(hash);
  return undefined;
}

export function rememberQuotaRefusal(hash: string, refusal: QuotaRefusal): void {
  bounded(quotaRefusals, hash, refusal);
}

/** Forgets this isolate's learned refusals (tests that need a cold front). */
export function forgetRefusals(): void {
  refusedKeys.clear();
  quotaRefusals.clear();
}
