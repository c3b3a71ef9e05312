// What the EVENTS queue's messages do (the adapter, queues/events.ts, parses them and decides
// ack or retry):
// - outbox events (UUID ids) are fanned out once (./fan-out.ts marks the row published in the
//   same transaction, so a redelivered message does nothing), and the deliveries and emails it
//   created are sent;
// - signals: `api_key.used` reports become one batched write of api_keys.last_used_at; any other
//   event is recorded in queue_receipts keyed by the message id;
// - work messages: webhook deliveries / emails that are due (their state is in Postgres).
import { sql } from "drizzle-orm";
import { queueReceipts } from "../../db/schema.ts";
import { recordKeyUses } from "../auth/key-usage.ts";
import type { Env } from "../env.ts";
import { type EventMessage, sendAll, type WorkMessage, workMessages } from "../events/messages.ts";
import { sendDueEmails } from "../notifications/email.ts";
import { withJobsDatabase } from "../platform/database.ts";
import { deliverWebhooks } from "../webhooks/delivery-attempts.ts";
import { type FanOutResult, fanOut } from "./fan-out.ts";
import { safeError } from "../platform/log-safe.ts";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Deliveries attempted by the fan-out invocation itself; more are queued as work. */
export const DELIVER_INLINE = 100;

export interface ReceivedEvent {
  messageId: string;
  attempts: number;
  body: EventMessage;
}

/** One jobs transaction for a batch of event messages: key uses, receipts and the fan-out. */
export async function processEvents(env: Env, queue: string, received: ReceivedEvent[]): Promise<FanOutResult> {
  const keyUses = new Map<string, Date>();
  const outbox: string[] = [];
  const recorded: ReceivedEvent[] = [];
  for (const entry of received) {
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
  return withJobsDatabase(env, async (db) => {
    await recordKeyUses(db, keyUses);
    if (recorded.length > 0) {
      await db
        .insert(queueReceipts)
        .values(
          recorded.map(({ messageId, attempts, body }) => ({
            messageId,
            queue,
            eventType: body.type,
            body,
            attempts,
          })),
        )
        .onConflictDoUpdate({ target: queueReceipts.messageId, set: { attempts: sql`excluded.attempts` } });
    }
    return fanOut(db, [...new Set(outbox)]);
  });
}

/**
 * After the fan-out committed: the first deliveries and emails go out from this invocation (one
 * queue hop less for the usual event with a few endpoints); the rest become work messages.
 * Whatever is lost here is due in Postgres, so the minute sweep finds it.
 */
export async function sendFannedOut(env: Env, fannedOut: FanOutResult): Promise<void> {
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

/** Due work by id (attempts already recorded are not repeated: a retry claims only what is still due). */
export function doWork(env: Env, kind: WorkMessage["work"], ids: string[]): Promise<unknown> {
  return kind === "webhook_deliveries" ? deliverWebhooks(env, ids) : sendDueEmails(env, ids);
}
