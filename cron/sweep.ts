import { lt } from "drizzle-orm";
import { jobRuns, queueReceipts } from "../db/schema.ts";
import type { Env } from "../worker/env.ts";
import { purgeEventHistory } from "../worker/events/sweep.ts";
import { withJobsDatabase } from "../worker/platform/database.ts";

export const QUEUE_RECEIPT_RETENTION_DAYS = 30;
export const JOB_RUN_RETENTION_DAYS = 90;

const daysBefore = (now: Date, days: number) => new Date(now.getTime() - days * 86_400_000);

/** Hourly: purge platform rows past retention, and notifications/outbox/email history. */
export async function sweepPlatformTables(env: Env, now: Date): Promise<Record<string, unknown>> {
  const events = await purgeEventHistory(env, now);
  const platform = await withJobsDatabase(env, async (db) => {
    const receipts = await db
      .delete(queueReceipts)
      .where(lt(queueReceipts.receivedAt, daysBefore(now, QUEUE_RECEIPT_RETENTION_DAYS)))
      .returning({ id: queueReceipts.messageId });
    const runs = await db
      .delete(jobRuns)
      .where(lt(jobRuns.startedAt, daysBefore(now, JOB_RUN_RETENTION_DAYS)))
      .returning({ id: jobRuns.id });
    return { purged_queue_receipts: receipts.length, purged_job_runs: runs.length };
  });
  return { ...platform, ...events };
}
