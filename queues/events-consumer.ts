// Consumer of the EVENTS queue. For now it records each message (a real round trip through
// Queues that later issues turn into webhook and notification fan-out). Recording is keyed by
// the queue's message id, so at-least-once redelivery never records twice. Malformed messages
// are acknowledged and logged, never retried forever; a database failure retries the message.
import { sql } from "drizzle-orm";
import { queueReceipts } from "../db/schema.ts";
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
  try {
    await withJobsDatabase(env, (db) =>
      db
        .insert(queueReceipts)
        .values(
          valid.map(({ message, event }) => ({
            messageId: message.id,
            queue: batch.queue,
            eventType: event.type,
            body: event,
            attempts: message.attempts,
          })),
        )
        .onConflictDoUpdate({ target: queueReceipts.messageId, set: { attempts: sql`excluded.attempts` } }),
    );
    for (const { message } of valid) message.ack();
  } catch (error) {
    console.error(`recording ${valid.length} messages failed, retrying:`, error);
    for (const { message } of valid) message.retry({ delaySeconds: 5 });
  }
}
