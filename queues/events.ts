// The EVENTS queue's adapter: parse each message, hand each kind to worker/dispatch/consumer.ts
// (export slices to worker/customers/export-queue.ts), then ack or retry. Malformed messages are acknowledged and logged, never retried forever; a
// database failure retries the messages it concerned, and only those.
import {
  type EventMessage,
  type ExportMessage,
  eventMessageSchema,
  exportMessageSchema,
  type QueueMessage,
  type WorkMessage,
  workMessageSchema,
} from "../worker/events/messages.ts";
import { consumeExportMessage } from "../worker/customers/export-queue.ts";
import { doWork, processEvents, sendFannedOut } from "../worker/dispatch/consumer.ts";
import type { Env } from "../worker/env.ts";
import { safeError } from "../worker/platform/log-safe.ts";

type Parsed<T> = { message: Message<QueueMessage>; body: T };

export async function consumeEvents(batch: MessageBatch<QueueMessage>, env: Env): Promise<void> {
  const events: Parsed<EventMessage>[] = [];
  const work: Parsed<WorkMessage>[] = [];
  const exports: Parsed<ExportMessage>[] = [];
  for (const message of batch.messages) {
    const asWork = workMessageSchema.safeParse(message.body);
    const asExport = asWork.success ? undefined : exportMessageSchema.safeParse(message.body);
    const asEvent = asWork.success || asExport?.success ? undefined : eventMessageSchema.safeParse(message.body);
    if (asWork.success) work.push({ message, body: asWork.data });
    else if (asExport?.success) exports.push({ message, body: asExport.data });
    else if (asEvent?.success) events.push({ message, body: asEvent.data });
    else {
      console.error(`dropping malformed message ${message.id} on ${batch.queue}: ${asEvent?.error.message}`);
      message.ack();
    }
  }
  await Promise.all([
    consumeEventMessages(env, batch.queue, events),
    ...(["webhook_deliveries", "emails"] as const).map((kind) =>
      consumeWork(
        env,
        kind,
        work.filter((m) => m.body.work === kind),
      ),
    ),
    consumeExports(env, exports),
  ]);
}

/** Export slices one after another: each buffers up to one R2 part, so memory stays one slice's. */
async function consumeExports(env: Env, messages: Parsed<ExportMessage>[]): Promise<void> {
  for (const { message, body } of messages) {
    await consumeExportMessage(env, {
      body,
      attempts: message.attempts,
      ack: () => message.ack(),
      retry: (options) => message.retry(options),
    });
  }
}

async function consumeEventMessages(env: Env, queue: string, messages: Parsed<EventMessage>[]): Promise<void> {
  if (messages.length === 0) return;
  let fannedOut: Awaited<ReturnType<typeof processEvents>>;
  try {
    fannedOut = await processEvents(
      env,
      queue,
      messages.map(({ message, body }) => ({ messageId: message.id, attempts: message.attempts, body })),
    );
  } catch (error) {
    console.error(`processing ${messages.length} event messages failed, retrying: ${safeError(error)}`);
    for (const { message } of messages) message.retry({ delaySeconds: 5 });
    return;
  }
  for (const { message } of messages) message.ack();
  await sendFannedOut(env, fannedOut);
}

async function consumeWork(env: Env, kind: WorkMessage["work"], messages: Parsed<WorkMessage>[]): Promise<void> {
  if (messages.length === 0) return;
  try {
    await doWork(env, kind, [...new Set(messages.flatMap((m) => m.body.ids))]);
    for (const { message } of messages) message.ack();
  } catch (error) {
    console.error(`${kind} work failed, retrying: ${safeError(error)}`);
    for (const { message } of messages) message.retry({ delaySeconds: 5 });
  }
}
