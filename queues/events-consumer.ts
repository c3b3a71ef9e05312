// Consumer of the EVENTS queue. `api_key.used` reports become one batched write of
// api_keys.last_used_at; every other event is recorded (a real round trip through Queues that
// later issues turn into webhook and notification fan-out). Recording is keyed by the queue's
// message id, so at-least-once redelivery never records twice. Malformed messages are
// acknowledged and logged, never retried forever; a database failure retries the batch.
import { and, eq, isNull, lt, or, sql } from "drizzle-orm";
import { apiKeys, queueReceipts } from "../db/schema.ts";
import type { Env } from "../worker/env.ts";
import { eventMessageSchema, type EventMessage } from "../worker/events/messages.ts";
import { withJobsDatabase } from "../worker/platform/database.ts";

export async function consumeEvents(batch: MessageBatch<EventMessage>, env: Env): Promise<void> {
  const valid: { message: Message<EventMessage>; event: EventMessage }[] = [];
  for (const message of batch.messages) {
    const parsed = eventMessageSchema.safeParse(message.body);
    if (parsed.success) valid.push({ message, event: parsed.data });
    else {
      console.error(`dropping malformed message ${message.id} on ${batch.queue}: ${parsed.error.message}`);
      message.ack();
    }
  }
  if (valid.length === 0) return;
  const keyUses = new Map<string, Date>();
  const recorded = valid.filter(({ event }) => {
    if (event.type !== "api_key.used") return true;
    const keyId = String(event.data.api_key_id);
    const at = new Date(String(event.data.used_at));
    if (!Number.isNaN(at.getTime()) && at > (keyUses.get(keyId) ?? new Date(0))) keyUses.set(keyId, at);
    return false;
  });
  try {
    await withJobsDatabase(env, async (db) => {
      for (const [keyId, at] of keyUses) {
        // Never move last_used_at backwards (reports can arrive out of order).
        await db
          .update(apiKeys)
          .set({ lastUsedAt: at })
          .where(and(eq(apiKeys.id, keyId), or(isNull(apiKeys.lastUsedAt), lt(apiKeys.lastUsedAt, at))));
      }
      if (recorded.length === 0) return;
      await db
        .insert(queueReceipts)
        .values(
          recorded.map(({ message, event }) => ({
            messageId: message.id,
            queue: batch.queue,
            eventType: event.type,
            body: event,
            attempts: message.attempts,
          })),
        )
        .onConflictDoUpdate({ target: queueReceipts.messageId, set: { attempts: sql`excluded.attempts` } });
    });
    for (const { message } of valid) message.ack();
  } catch (error) {
    console.error(`recording ${valid.length} messages failed, retrying:`, error);
    for (const { message } of valid) message.retry({ delaySeconds: 5 });
  }
}
