// The events queue's dead letters (docs/operations.md, "Alerts"): each message the queue gave up
// on is recorded once (UNIQUE (queue, message_id): a redelivered batch adds nothing) for the
// queue_dead_letters alert and for an operator to replay from; the adapter then acks it.
import { sql } from "drizzle-orm";
import type { Env } from "../env.ts";
import { withJobsDatabase } from "../platform/database.ts";

export interface DeadLetter {
  messageId: string;
  attempts: number;
  body: unknown;
}

export async function recordDeadLetters(env: Env, queue: string, letters: DeadLetter[]): Promise<number> {
  if (letters.length === 0) return 0;
  return withJobsDatabase(env, async (db) => {
    let recorded = 0;
    for (const letter of letters) {
      const result = await db.execute(sql`
        INSERT INTO queue_dead_letters (queue, message_id, body, attempts)
        VALUES (${queue}, ${letter.messageId}, ${JSON.stringify(letter.body ?? null)}::jsonb, ${letter.attempts})
        ON CONFLICT (queue, message_id) DO NOTHING`);
      recorded += result.rowCount ?? 0;
    }
    return recorded;
  });
}
