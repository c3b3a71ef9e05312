// last_used_at without a database write per request: each isolate reports a key's use at most
// once per SAMPLE_MS through the EVENTS queue, and the consumer writes the newest time in a
// batch (column-level grant: sb_jobs may update api_keys.last_used_at and nothing else).
// So last_used_at is accurate to about SAMPLE_MS.
import { and, eq, isNull, lt, or } from "drizzle-orm";
import { apiKeys } from "../../db/schema.ts";
import type { AppContext } from "../http/context.ts";
import { newEvent } from "../events/messages.ts";
import type { Database } from "../platform/database.ts";
import type { Principal } from "./principal.ts";
import { safeError } from "../platform/log-safe.ts";

export const SAMPLE_MS = 5 * 60_000;
const reported = new Map<string, number>();

export function noteKeyUsed(c: AppContext, principal: Principal, now = Date.now()): void {
  const keyId = principal.keyId;
  if (!keyId || (reported.get(keyId) ?? 0) > now - SAMPLE_MS) return;
  reported.set(keyId, now);
  if (reported.size > 10_000) reported.delete(reported.keys().next().value!);
  c.executionCtx.waitUntil(
    c.env.EVENTS.send(
      newEvent("api_key.used", principal.customerId, { api_key_id: keyId, used_at: new Date(now).toISOString() }),
    ).catch((error: unknown) => console.warn(`could not report key use: ${safeError(error)}`)),
  );
}

/** The consumer's side: the newest use of each key in a batch, never moving last_used_at back. */
export async function recordKeyUses(db: Database, uses: ReadonlyMap<string, Date>): Promise<void> {
  for (const [keyId, at] of uses) {
    // Reports can arrive out of order.
    await db
      .update(apiKeys)
      .set({ lastUsedAt: at })
      .where(and(eq(apiKeys.id, keyId), or(isNull(apiKeys.lastUsedAt), lt(apiKeys.lastUsedAt, at))));
  }
}
