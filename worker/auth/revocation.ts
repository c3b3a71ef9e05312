// Revocation without a database read on the hot path: revoked sessions, keys whose session
// tokens must stop, and suspended customers are marked in KV (and in this isolate's memory, so
// the isolate that revoked stops accepting at once). Marks expire with what they revoke.
//
// Staleness bound: other isolates and PoPs see a mark once KV has propagated it (eventually
// consistent, typically within 60 s; reads of a missing key may be cached at the edge for up
// to 60 s).
import type { Principal } from "./principal.ts";
import { SESSION_TOKEN_TTL_SECONDS } from "./session-token.ts";

// mark -> { from: revoked from this time (epoch ms), until: the mark's own expiry }
const marked = new Map<string, { from: number; until: number }>();

const sessionMark = (sessionId: string) => `revoked:session:${sessionId}`;
const keyMark = (keyId: string) => `revoked:key:${keyId}`;
const customerMark = (customerId: string) => `suspended:customer:${customerId}`;

/** Marks `name` revoked from `fromMs` (default now) until `untilMs` (null: until unmarked). */
async function mark(kv: KVNamespace, name: string, untilMs: number | null, fromMs = Date.now()): Promise<void> {
  const ttl = untilMs === null ? null : Math.max(60, Math.ceil((untilMs - Date.now()) / 1000));
  marked.set(name, { from: fromMs, until: untilMs ?? Number.MAX_SAFE_INTEGER });
  await kv.put(name, String(fromMs), ttl === null ? {} : { expirationTtl: ttl });
}

async function unmark(kv: KVNamespace, name: string): Promise<void> {
  marked.delete(name);
  await kv.delete(name);
}

export const revokeSession = (kv: KVNamespace, sessionId: string, untilMs: number) =>
  mark(kv, sessionMark(sessionId), untilMs);

/**
 * Stops every session token exchanged for this key from `fromMs` on (default now; a rotation
 * passes the end of its grace period). Tokens live at most SESSION_TOKEN_TTL_SECONDS.
 */
export const revokeKeySessions = (kv: KVNamespace, keyId: string, fromMs = Date.now()) =>
  mark(kv, keyMark(keyId), fromMs + SESSION_TOKEN_TTL_SECONDS * 1000, fromMs);

/**
 * Whether this isolate revoked the key (or its sessions) itself. Checked before caching a
 * principal looked up in Postgres, so a lookup that raced a revocation cannot re-cache it.
 */
export const keyRevokedHere = (keyId: string, now = Date.now()) => {
  const entry = marked.get(keyMark(keyId));
  return entry !== undefined && entry.from <= now && entry.until > now;
};

export const setCustomerSuspended = (kv: KVNamespace, customerId: string, suspended: boolean) =>
  suspended ? mark(kv, customerMark(customerId), null) : unmark(kv, customerMark(customerId));

function marksOf(principal: Principal): string[] {
  const names = [customerMark(principal.customerId)];
  if (principal.kind !== "api_key" && principal.sessionId) names.push(sessionMark(principal.sessionId));
  if (principal.kind === "session_token" && principal.keyId) names.push(keyMark(principal.keyId));
  return names;
}

/** True if this isolate itself marked the token's session, key or customer (no I/O). */
export function revokedHere(principal: Principal, now = Date.now()): boolean {
  return marksOf(principal).some((n) => {
    const m = marked.get(n);
    return m !== undefined && m.from <= now && m.until > now;
  });
}

/** True if a verified session token was revoked, its key revoked, or its customer suspended. */
export async function isRevoked(kv: KVNamespace, principal: Principal): Promise<boolean> {
  const now = Date.now();
  if (revokedHere(principal, now)) return true;
  const values = await Promise.all(marksOf(principal).map((n) => kv.get(n)));
  // A mark's value is the time it takes effect ("1" from older marks: at once).
  return values.some((v) => v !== null && Number(v) <= now);
}
