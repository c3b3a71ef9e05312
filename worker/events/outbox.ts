// The outbox (docs/events-and-webhooks.md): an event is written in the same transaction as the change that causes
// it, published to the EVENTS queue after commit, and re-published by the minute sweep if that
// send was lost — so an event can be late, never lost.
//
// Request transactions do not pay a round trip for it: `emit` only buffers, and the buffered rows
// travel to Postgres in the same round trip as COMMIT (`commitSql`). Secrets an event must carry
// to one recipient (an invite's accept link) are sealed with DATA_ENCRYPTION_KEY under `_sealed`
// and removed from the row when it is published (see fan-out.ts).
import type { outboxEvents } from "../../db/schema.ts";
import { insertFromJson } from "../platform/commit-batch.ts";
import { type SealedPlace, seal } from "../platform/encryption.ts";
import { uuidv7 } from "../platform/ids.ts";
import { checkedPayload, type EventPayload, type EventType } from "./catalogue.ts";
import type { EventMessage } from "./messages.ts";
import { safeError } from "../platform/log-safe.ts";

export const SEALED_FIELD = "_sealed";

export interface OutboxEvent {
  id: string;
  customerId: string;
  type: EventType;
  payload: Record<string, unknown>;
  createdAt: Date;
}

/** Buffers an event for the commit; resolves to its id. */
export type Emit = <T extends EventType>(
  type: T,
  payload: EventPayload<T>,
  options?: { secrets?: Record<string, string> },
) => Promise<string>;

/**
 * Where an event's sealed secrets belong: its outbox row. The fan-out copies the ciphertext to
 * the event's email (email_messages.secret_ciphertext), which opens it with the same place.
 */
export const eventSecretsPlace = (customerId: string, eventId: string): SealedPlace => ({
  table: "outbox_events",
  column: "payload",
  customerId,
  rowId: eventId,
});

/** The events one transaction emits, sent with its COMMIT. */
export class OutboxBuffer {
  readonly events: OutboxEvent[] = [];
  readonly #encryptionKey: string;
  readonly #customerId: string;

  constructor(encryptionKey: string, customerId: string) {
    this.#encryptionKey = encryptionKey;
    this.#customerId = customerId;
  }

  emit: Emit = async (type, payload, options) => {
    const checked: Record<string, unknown> = { ...checkedPayload(type, payload) };
    const id = uuidv7();
    if (options?.secrets)
      checked[SEALED_FIELD] = await seal(
        this.#encryptionKey,
        JSON.stringify(options.secrets),
        eventSecretsPlace(this.#customerId, id),
      );
    this.events.push({ id, customerId: this.#customerId, type, payload: checked, createdAt: new Date() });
    return id;
  };

  /** The INSERT to send ahead of COMMIT in the same round trip, or undefined when nothing was emitted. */
  commitSql(): string | undefined {
    if (this.events.length === 0) return undefined;
    return insertFromJson(
      "outbox_events",
      { id: "uuid", customer_id: "uuid", type: "text", payload: "jsonb" },
      this.events.map((e) => ({ id: e.id, customer_id: e.customerId, type: e.type, payload: e.payload })),
    );
  }
}

/** An outbox row for code on the jobs role (cron, consumers): insert it in the job's transaction. */
export function outboxRow<T extends EventType>(
  customerId: string,
  type: T,
  payload: EventPayload<T>,
): typeof outboxEvents.$inferInsert {
  return { id: uuidv7(), customerId, type, payload: checkedPayload(type, payload) };
}

/** The queue message for an outbox row: never its sealed secrets. */
export function toMessage(event: {
  id: string;
  customerId: string;
  type: string;
  payload: Record<string, unknown>;
  createdAt: Date;
}): EventMessage {
  const { [SEALED_FIELD]: _sealed, ...data } = event.payload;
  return {
    id: event.id,
    type: event.type,
    customer_id: event.customerId,
    occurred_at: event.createdAt.toISOString(),
    data,
  };
}

/**
 * Sends committed events to the queue. A failure is only logged: the rows are in Postgres and
 * the minute sweep publishes them (at-least-once; the consumer is idempotent by event id).
 */
export async function publish(queue: Queue<EventMessage>, messages: EventMessage[]): Promise<void> {
  for (let i = 0; i < messages.length; i += 100) {
    try {
      await queue.sendBatch(messages.slice(i, i + 100).map((body) => ({ body, contentType: "json" as const })));
    } catch (error) {
      console.error(`publishing ${messages.length} outbox events failed; the sweep will retry: ${safeError(error)}`);
      return;
    }
  }
}
