// The events dead-letter queue's adapter: record every message (worker/operations/dead-letters.ts),
// then ack the batch; if recording fails, retry it (the DLQ consumer's own max_retries bounds that).
import { recordDeadLetters } from "../worker/operations/dead-letters.ts";
import type { Env } from "../worker/env.ts";
import { safeError } from "../worker/platform/log-safe.ts";

export async function consumeDeadLetters(batch: MessageBatch<unknown>, env: Env): Promise<void> {
  try {
    const recorded = await recordDeadLetters(
      env,
      batch.queue,
      batch.messages.map((m) => ({ messageId: m.id, attempts: m.attempts, body: m.body })),
    );
    console.error(JSON.stringify({ msg: "dead letters recorded", queue: batch.queue, recorded }));
    batch.ackAll();
  } catch (error) {
    console.error(`recording ${batch.messages.length} dead letters failed, retrying: ${safeError(error)}`);
    batch.retryAll({ delaySeconds: 30 });
  }
}
