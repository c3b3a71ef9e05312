// The hourly purge of rows past their retention: expired in-app notifications (30 days), and
// published outbox rows, finished emails, queue receipts and job runs. One jobs-role
// transaction; every delete is bounded by time, so a re-run finds nothing more to do.
import { and, inArray, lt, lte } from "drizzle-orm";
import { emailMessages, jobRuns, notifications, outboxEvents, queueReceipts } from "../../db/schema.ts";
import type { Env } from "../env.ts";
import { withJobsDatabase } from "../platform/database.ts";

export const EVENT_HISTORY_RETENTION_DAYS = 30;
export const QUEUE_RECEIPT_RETENTION_DAYS = 30;
export const JOB_RUN_RETENTION_DAYS = 90;

const daysBefore = (now: Date, days: number) => new Date(now.getTime() - days * 86_400_000);

export function purgeExpiredRows(env: Env, now: Date): Promise<Record<string, unknown>> {
  const historyBefore = daysBefore(now, EVENT_HISTORY_RETENTION_DAYS);
  return withJobsDatabase(env, async (db) => {
    const expired = await db
      .delete(notifications)
      .where(lte(notifications.expiresAt, now))
      .returning({ id: notifications.id });
    const events = await db
      .delete(outboxEvents)
      .where(lt(outboxEvents.publishedAt, historyBefore))
      .returning({ id: outboxEvents.id });
    const emails = await db
      .delete(emailMessages)
      .where(
        and(
          inArray(emailMessages.status, ["sent", "failed", "suppressed"]),
          lt(emailMessages.createdAt, historyBefore),
        ),
      )
      .returning({ id: emailMessages.id });
    const receipts = await db
      .delete(queueReceipts)
      .where(lt(queueReceipts.receivedAt, daysBefore(now, QUEUE_RECEIPT_RETENTION_DAYS)))
      .returning({ id: queueReceipts.messageId });
    const runs = await db
      .delete(jobRuns)
      .where(lt(jobRuns.startedAt, daysBefore(now, JOB_RUN_RETENTION_DAYS)))
      .returning({ id: jobRuns.id });
    return {
      purged_queue_receipts: receipts.length,
      purged_job_runs: runs.length,
      purged_notifications: expired.length,
      purged_outbox_events: events.length,
      purged_emails: emails.length,
    };
  });
}
