import { z } from "@hono/zod-openapi";

// Messages on the EVENTS queue: events (outbox rows after commit, and a few unrecorded
// signals such as `api_key.used`), and work items the pipeline hands itself (webhook deliveries
// and emails that are due; their state lives in Postgres, the message only says "look now").
export const eventMessageSchema = z.object({
  id: z.string().min(1),
  type: z.string().regex(/^[a-z_]+(\.[a-z_]+)+$/),
  customer_id: z.string().uuid(),
  occurred_at: z.string().datetime(),
  data: z.record(z.string(), z.unknown()),
});
export type EventMessage = z.infer<typeof eventMessageSchema>;

/** At most this many rows per work message, so one batch stays within a Worker's subrequest budget. */
export const WORK_CHUNK = 20;
export const workMessageSchema = z.object({
  work: z.enum(["webhook_deliveries", "emails"]),
  ids: z.array(z.string().uuid()).min(1).max(WORK_CHUNK),
});
export type WorkMessage = z.infer<typeof workMessageSchema>;
/** One slice of a customer export (worker/customers/export-slices.ts): `step` is the slice to run. */
export const exportMessageSchema = z.object({
  work: z.literal("export"),
  export_id: z.string().uuid(),
  step: z.number().int().min(0),
});
export type ExportMessage = z.infer<typeof exportMessageSchema>;
export type QueueMessage = EventMessage | WorkMessage | ExportMessage;

export function newEvent(type: string, customerId: string, data: Record<string, unknown>): EventMessage {
  return {
    id: `evt_${crypto.randomUUID().replaceAll("-", "")}`,
    type,
    customer_id: customerId,
    occurred_at: new Date().toISOString(),
    data,
  };
}

/** Work messages for `ids`, WORK_CHUNK ids each, optionally delayed (Queues allows at most 12 h). */
export function workMessages(
  work: WorkMessage["work"],
  ids: string[],
  delaySeconds = 0,
): MessageSendRequest<QueueMessage>[] {
  const messages: MessageSendRequest<QueueMessage>[] = [];
  for (let i = 0; i < ids.length; i += WORK_CHUNK) {
    messages.push({
      body: { work, ids: ids.slice(i, i + WORK_CHUNK) },
      contentType: "json",
      ...(delaySeconds > 0 ? { delaySeconds: Math.min(Math.ceil(delaySeconds), 12 * 3600) } : {}),
    });
  }
  return messages;
}

/** Sends messages in batches of 100 (the Queues limit). */
export async function sendAll(queue: Queue<QueueMessage>, messages: MessageSendRequest<QueueMessage>[]): Promise<void> {
  for (let i = 0; i < messages.length; i += 100) await queue.sendBatch(messages.slice(i, i + 100));
}
