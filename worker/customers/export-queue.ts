// Exports on the EVENTS queue (docs/exports-closure.md, "Resuming"): the route queues step 0,
// each slice queues the next, and the minute sweep re-queues an export whose chain broke (a
// message lost after its slice committed, or retries used up while a dead consumer's lease ran).
// Duplicates are harmless: a slice runs only for the step recorded in the row, under a lease.
import { and, asc, inArray, lt, or, isNull, sql } from "drizzle-orm";
import { customerExports } from "../../db/schema.ts";
import type { Env } from "../env.ts";
import { type ExportMessage, type QueueMessage, sendAll } from "../events/messages.ts";
import type { Database } from "../platform/database.ts";
import { safeError } from "../platform/log-safe.ts";
import { failExport, runExportSlice } from "./export-slices.ts";

/** An unfinished export untouched for this long has lost its message: the sweep queues it again. */
export const EXPORT_STALLED_MINUTES = 5;
/** Attempts of one slice before the export is marked failed (below the queue's max_retries). */
export const EXPORT_MAX_ATTEMPTS = 5;

export function exportMessage(exportId: string, step: number, delaySeconds = 0): MessageSendRequest<QueueMessage> {
  const body: ExportMessage = { work: "export", export_id: exportId, step };
  return { body, contentType: "json", ...(delaySeconds > 0 ? { delaySeconds } : {}) };
}

export interface ReceivedExport {
  body: ExportMessage;
  attempts: number;
  ack(): void;
  retry(options?: { delaySeconds?: number }): void;
}

/** One message: run its slice, queue the next step, and ack; a failure retries it until the last attempt. */
export async function consumeExportMessage(env: Env, message: ReceivedExport): Promise<void> {
  const { export_id: exportId, step } = message.body;
  try {
    const outcome = await runExportSlice(env, exportId, step);
    if (outcome.kind === "busy") {
      message.retry({ delaySeconds: 30 });
      return;
    }
    if (outcome.kind === "next")
      await env.EVENTS.send(exportMessage(exportId, outcome.step).body, { contentType: "json" });
    message.ack();
  } catch (error) {
    console.error(`export ${exportId} step ${step} failed (attempt ${message.attempts}): ${safeError(error)}`);
    if (message.attempts >= EXPORT_MAX_ATTEMPTS) {
      await failExport(env, exportId, error).catch((e) => console.error(`marking export failed: ${safeError(e)}`));
      message.ack();
    } else {
      message.retry({ delaySeconds: 5 * message.attempts });
    }
  }
}

/** Unfinished exports nobody has touched for EXPORT_STALLED_MINUTES and whose lease (if any) ran out. */
export async function stalledExports(db: Database, now: Date, limit = 100): Promise<ExportMessage[]> {
  const before = new Date(now.getTime() - EXPORT_STALLED_MINUTES * 60_000);
  const rows = await db
    .select({ id: customerExports.id, step: customerExports.step })
    .from(customerExports)
    .where(
      and(
        inArray(customerExports.status, ["pending", "running"]),
        lt(customerExports.updatedAt, before),
        or(isNull(customerExports.leaseUntil), lt(customerExports.leaseUntil, sql`${now.toISOString()}::timestamptz`)),
      ),
    )
    .orderBy(asc(customerExports.updatedAt))
    .limit(limit);
  return rows.map((r) => ({ work: "export", export_id: r.id, step: r.step }));
}

export async function requeueExports(env: Env, stalled: ExportMessage[]): Promise<void> {
  await sendAll(
    env.EVENTS,
    stalled.map((m) => exportMessage(m.export_id, m.step)),
  );
}
