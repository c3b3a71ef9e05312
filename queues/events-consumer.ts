// Consumer of the EVENTS queue. Three kinds of message:
// - outbox events (UUID ids): fanned out once (fan-out.ts marks the row
//   published in the same transaction, so a redelivered message does nothing), then the
//   deliveries and emails it created are queued as work;
// - work messages: webhook deliveries / emails that are due (their state is in Postgres);
// - signals: `api_key.used` reports become one batched write of api_keys.last_used_at; any other
//   event is recorded in queue_receipts keyed by the message id.
// Malformed messages are acknowledged and logged, never retried forever; a database failure
// retries the messages it concerned, and only those.
import { and, eq, isNull, lt, or, sql } from "drizzle-orm";
import { apiKeys, queueReceipts } from "../db/schema.ts";
import type { Env } from "../worker/env.ts";
import { fanOut } from "../worker/events/fan-out.ts";
import {
  eventMessageSchema,
  sendAll,
  workMessages,
  workMessageSchema,
  type EventMessage,
  type QueueMessage,
  type WorkMessage,
} from "../worker/events/messages.ts";
import { sendDueEmails } from "../worker/notifications/email.ts";
import { withJobsDatabase } from "../worker/platform/database.ts";
import { deliverWebhooks } from "../worker/webhooks/delivery.ts";
import { safeError } from "../worker/platform/log-safe.ts";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

type Parsed<T> = { message: Message<QueueMessage>; body: T };

export async function consumeEvents(batch: MessageBatch<QueueMessage>, env: Env): Promise<void> {
  const events: Parsed<EventMessage>[] = [];
  const work: Parsed<WorkMessage>[] = [];
  for (const message of batch.messages) {
    const asWork = workMessageSchema.safeParse(message.body);
    const asEvent = asWork.success ? undefined : eventMessageSchema.safeParse(message.body);
    if (asWork.success) work.push({ message, body: asWork.data });
    else if (asEvent?.success) events.push({ message, body: asEvent.data });
    else {
      console.error(`dropping malformed message ${message.id} on ${batch.queue}: ${asEvent?.error.message}`);
      message.ack();
    }
  }
  await Promise.all([consumeEventMessages(batch.queue, events, env), consumeWork(work, env)]);
}

async function consumeEventMessages(queue: string, messages: Parsed<EventMessage>[], env: Env): Promise<void> {
  if (messages.length === 0) return;
  const keyUses = new Map<string, Date>();
  const outbox: string[] = [];
  const recorded: Parsed<EventMessage>[] = [];
  for (const entry of messages) {
    const event = entry.body;
    if (event.type === "api_key.used") {
      const keyId = String(event.data.api_key_id);
      const at = new Date(String(event.data.used_at));
      if (!Number.isNaN(at.getTime()) && at > (keyUses.get(keyId) ?? new Date(0))) keyUses.set(keyId, at);
    } else if (UUID.test(event.id)) {
      // Outbox rows have UUID ids (signals use `evt_…`); a type outside the catalogue is marked
      // published and goes nowhere.
      outbox.push(event.id);
    } else {
      recorded.push(entry);
    }
  }
  let fannedOut: Awaited<ReturnType<typeof fanOut>>;
  try {
    fannedOut = await withJobsDatabase(env, async (db) => {
      for (const [keyId, at] of keyUses) {
        // Never move last_used_at backwards (reports can arrive out of order).
        await db
          .update(apiKeys)
          .set({ lastUsedAt: at })
          .where(and(eq(apiKeys.id, keyId), or(isNull(apiKeys.lastUsedAt), lt(apiKeys.lastUsedAt, at))));
      }
      if (recorded.length > 0) {
        await db
          .insert(queueReceipts)
          .values(
            recorded.map(({ message, body }) => ({
              messageId: message.id,
              queue,
              eventType: body.type,
              body,
              attempts: message.attempts,
            })),
          )
          .onConflictDoUpdate({ target: queueReceipts.messageId, set: { attempts: sql`excluded.attempts` } });
      }
      return fanOut(db, [...new Set(outbox)]);
    });
  } catch (error) {
    console.error(`processing ${messages.length} event messages failed, retrying: ${safeError(error)}`);
    for (const { message } of messages) message.retry({ delaySeconds: 5 });
    return;
  }
  for (const { message } of messages) message.ack();
  // The first deliveries and emails go out from this invocation (one queue hop less for the
  // usual event with a few endpoints); the rest become work messages. Whatever is lost here is
  // due in Postgres, so the minute sweep finds it.
  const now = fannedOut.deliveryIds.slice(0, DELIVER_INLINE);
  const later = fannedOut.deliveryIds.slice(DELIVER_INLINE);
  await sendAll(env.EVENTS, [...workMessages("webhook_deliveries", later)]).catch((error) =>
    console.error(`queueing deliveries failed; the sweep will pick them up: ${safeError(error)}`),
  );
  await Promise.all([
    deliverWebhooks(env, now).catch((error) =>
      console.error(`inline deliveries failed; the sweep will retry them: ${safeError(error)}`),
    ),
    sendDueEmails(env, fannedOut.emailIds).catch((error) =>
      console.error(`sending emails failed; the sweep will retry them: ${safeError(error)}`),
    ),
  ]);
}

/** Deliveries attempted by the fan-out invocation itself; more are queued as work. */
export const DELIVER_INLINE = 100;

async function consumeWork(messages: Parsed<WorkMessage>[], env: Env): Promise<void> {
  const run = async (kind: WorkMessage["work"], go: (ids: string[]) => Promise<unknown>) => {
    const mine = messages.filter((m) => m.body.work === kind);
    if (mine.length === 0) return;
    try {
      await go([...new Set(mine.flatMap((m) => m.body.ids))]);
      for (const { message } of mine) message.ack();
    } catch (error) {
      // Attempts already recorded are not repeated (a retry only claims what is still due).
      console.error(`${kind} work failed, retrying: ${safeError(error)}`);
      for (const { message } of mine) message.retry({ delaySeconds: 5 });
    }
  };
  await Promise.all([
    run("webhook_deliveries", (ids) => deliverWebhooks(env, ids)),
    run("emails", (ids) => sendDueEmails(env, ids)),
  ]);
}
