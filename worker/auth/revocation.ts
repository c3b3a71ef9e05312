// Revocation without a database read on the hot path: revoked sessions, keys whose session
// tokens must stop, and suspended customers are marked in KV (and in this isolate's memory, so
// the isolate that revoked stops accepting at once). Marks expire with what they revoke.
//
// Staleness bound: other isolates and PoPs see a mark once KV has propagated it (eventually
// consistent, typically within 60 s; reads of a missing key may be cached at the edge for up
// to 60 s).
import type { Principal } from "./principal.ts";
import { SESSION_TOKEN_TTL_SECONDS } from "./session-token.ts";

const marked = new Map<string, number>(); // mark -> until (epoch ms)

const sessionMark = (sessionId: string) => `revoked:session:${sessionId}`;
const keyMark = (keyId: string) => `revoked:key:${keyId}`;
const customerMark = (customerId: string) => `suspended:customer:${customerId}`;

async function mark(kv: KVNamespace, name: string, untilMs: number | null): Promise<void> {
  const ttl = untilMs === null ? null : Math.max(60, Math.ceil((untilMs - Date.now()) / 1000));
  marked.set(name, untilMs ?? Number.MAX_SAFE_INTEGER);
  await kv.put(name, "1", ttl === null ? {} : { expirationTtl: ttl });
}

async function unmark(kv: KVNamespace, name: string): Promise<void> {
  marked.delete(name);
  await kv.delete(name);
}

export const revokeSession = (kv: KVNamespace, sessionId: string, untilMs: number) => mark(kv, sessionMark(sessionId), untilMs);

/** Stops every session token exchanged for this key (they live at most SESSION_TOKEN_TTL_SECONDS). */
export const revokeKeySessions = (kv: KVNamespace, keyId: string) =>
  mark(kv, keyMark(keyId), Date.now() + SESSION_TOKEN_TTL_SECONDS * 1000);

export const setCustomerSuspended = (kv: KVNamespace, customerId: string, suspended: boolean) =>
  suspended ? mark(kv, customerMark(customerId), null) : unmark(kv, customerMark(customerId));

/** True if a verified session token was revoked, its key revoked, or its customer suspended. */
export async function isRevoked(kv: KVNamespace, principal: Principal): Promise<boolean> {
  const names = [customerMark(principal.customerId)];
  if (principal.kind !== "api_key" && principal.sessionId) names.push(sessionMark(principal.sessionId));
  if (principal.kind === "session_token" && principal.keyId) names.push(keyMark(principal.keyId));
  const now = Date.now();
  if (names.some((n) => (marked.get(n) ?? 0) > now)) return true;
  const values = await Promise.all(names.map((n) => kv.get(n)));
  return values.some((v) => v !== null);
}
