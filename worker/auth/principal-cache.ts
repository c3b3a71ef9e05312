// Cache of validated API-key principals, so a warm request does no database work for auth.
//
//   isolate memory (TTL 30 s)  ->  KV (TTL 300 s)  ->  Postgres (app.resolve_api_key)
//
// Keys are the SHA-256 of the API key, never the key. Staleness bound: after a key is revoked
// and its entries deleted, this isolate stops accepting it at once; another isolate may accept
// it for up to MEMORY_TTL_MS, and another PoP for up to KV_TTL_SECONDS plus KV's propagation
// delay (eventually consistent, typically < 60 s). The revocation work (issue: identity) deletes
// both tiers; the TTLs are the worst case.
import type { Principal } from "./principal.ts";

export const MEMORY_TTL_MS = 30_000;
export const KV_TTL_SECONDS = 300;
const MEMORY_MAX_ENTRIES = 10_000;

const memory = new Map<string, { principal: Principal; until: number }>();

const kvKey = (keyHash: string) => `principal:v1:${keyHash}`;

export async function cachedPrincipal(
  kv: KVNamespace,
  keyHash: string,
  now = Date.now(),
): Promise<Principal | undefined> {
  const hit = memory.get(keyHash);
  if (hit && hit.until > now) return hit.principal;
  if (hit) memory.delete(keyHash);
  const stored = await kv.get<Principal>(kvKey(keyHash), "json");
  if (stored) remember(keyHash, stored, now);
  return stored ?? undefined;
}

export async function cachePrincipal(
  kv: KVNamespace,
  keyHash: string,
  principal: Principal,
  now = Date.now(),
): Promise<void> {
  remember(keyHash, principal, now);
  // Never cache past the key's own expiry; KV's minimum TTL is 60 s.
  const untilExpiry = principal.expiresAt === null ? KV_TTL_SECONDS : Math.floor((principal.expiresAt - now) / 1000);
  const ttl = Math.min(KV_TTL_SECONDS, untilExpiry);
  if (ttl >= 60) await kv.put(kvKey(keyHash), JSON.stringify(principal), { expirationTtl: ttl });
}

export async function forgetPrincipal(kv: KVNamespace, keyHash: string): Promise<void> {
  memory.delete(keyHash);
  await kv.delete(kvKey(keyHash));
}

function remember(keyHash: string, principal: Principal, now: number): void {
  if (memory.size >= MEMORY_MAX_ENTRIES) {
    // Map keeps insertion order: drop the oldest entry.
    const oldest = memory.keys().next().value;
    if (oldest !== undefined) memory.delete(oldest);
  }
  memory.set(keyHash, { principal, until: now + MEMORY_TTL_MS });
}
