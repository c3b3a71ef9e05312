// Cache of validated API-key principals, so a warm request does no database work for auth.
//
//   isolate memory (TTL 30 s)  ->  KV (TTL 300 s)  ->  Postgres (app.resolve_api_key)
//
// Keys are the SHA-256 of the API key, never the key. Staleness bound: after a key is revoked
// and its entries deleted, this isolate stops accepting it at once; another isolate may accept
// it for up to MEMORY_TTL_MS, and another PoP for up to KV_TTL_SECONDS plus KV's propagation
// delay (eventually consistent, typically < 60 s). The revocation work (issue: identity) deletes
// both tiers; the TTLs are the worst case.
//
// Generations (docs/auth.md, "Revocation and its bound"): every forget (revoke, rotate, a
// creator's role or status change, suspension) writes a new generation for the key hash. A fill
// reads the generation before the database lookup, writes only if it is unchanged just before
// the put, and the entry carries it; a reader accepts an entry only under the current
// generation. So a principal loaded before a revocation, in any isolate, is never served from KV
// after it. Cost: a memory hit reads nothing; a memory miss reads entry and generation in
// parallel (2 KV reads, one hop); a fill adds one KV read after the response (waitUntil).
import type { Principal } from "./principal.ts";

export const MEMORY_TTL_MS = 30_000;
export const KV_TTL_SECONDS = 300;
/** A generation outlives every entry a fill that started before it could still write. */
const GENERATION_TTL_SECONDS = 24 * 3600;
const MEMORY_MAX_ENTRIES = 10_000;
/** The generation of a key hash that was never forgotten. */
const FIRST_GENERATION = "0";

const memory = new Map<string, { principal: Principal; until: number }>();

/**
 * The KV name of a key hash's cached principal ({ generation, principal }). v3: the principal
 * carries dataJurisdiction; v2 entries (without it) are simply never read and expire.
 */
export const principalKvKey = (keyHash: string) => `principal:v3:${keyHash}`;
const generationKey = (keyHash: string) => `principal-generation:${keyHash}`;

interface Entry {
  generation: string;
  principal: Principal;
}

/** A cache lookup: the principal if cached, else the generation a fill must be made under. */
export type Lookup = { principal: Principal } | { principal?: undefined; generation: string };

export async function principalGeneration(kv: KVNamespace, keyHash: string): Promise<string> {
  return (await kv.get(generationKey(keyHash))) ?? FIRST_GENERATION;
}

export async function cachedPrincipal(kv: KVNamespace, keyHash: string, now = Date.now()): Promise<Lookup> {
  const hit = memory.get(keyHash);
  if (hit && hit.until > now) return { principal: hit.principal };
  if (hit) memory.delete(keyHash);
  const [stored, generation] = await Promise.all([
    kv.get<Entry>(principalKvKey(keyHash), "json"),
    principalGeneration(kv, keyHash),
  ]);
  // An entry made under an older generation was loaded before a revocation: refuse it.
  if (!stored || stored.generation !== generation) return { generation };
  remember(keyHash, stored.principal, now);
  return { principal: stored.principal };
}

/**
 * Caches a principal loaded from Postgres after `generation` was read. Writes nothing when the
 * key was forgotten since (the load may predate the revocation).
 */
export async function cachePrincipal(
  kv: KVNamespace,
  keyHash: string,
  principal: Principal,
  generation: string,
  now = Date.now(),
): Promise<void> {
  if ((await principalGeneration(kv, keyHash)) !== generation) return;
  remember(keyHash, principal, now);
  // Never cache past the key's own expiry; KV's minimum TTL is 60 s.
  const untilExpiry = principal.expiresAt === null ? KV_TTL_SECONDS : Math.floor((principal.expiresAt - now) / 1000);
  const ttl = Math.min(KV_TTL_SECONDS, untilExpiry);
  const entry: Entry = { generation, principal };
  if (ttl >= 60) await kv.put(principalKvKey(keyHash), JSON.stringify(entry), { expirationTtl: ttl });
}

export async function forgetPrincipal(kv: KVNamespace, keyHash: string): Promise<void> {
  memory.delete(keyHash);
  // The new generation first: an entry a racing fill still writes is refused by every reader.
  await kv.put(generationKey(keyHash), `${Date.now()}-${crypto.randomUUID()}`, {
    expirationTtl: GENERATION_TTL_SECONDS,
  });
  await kv.delete(principalKvKey(keyHash));
}

function remember(keyHash: string, principal: Principal, now: number): void {
  if (memory.size >= MEMORY_MAX_ENTRIES) {
    // Map keeps insertion order: drop the oldest entry.
    const oldest = memory.keys().next().value;
    if (oldest !== undefined) memory.delete(oldest);
  }
  memory.set(keyHash, { principal, until: now + MEMORY_TTL_MS });
}
