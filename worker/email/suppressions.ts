// Addresses SES reported undeliverable (docs/email-suppressions.md): recorded from verified SNS
// notifications, listed and removed by staff. Platform-wide: one address, every customer.
import { and, asc, eq, gt, sql } from "drizzle-orm";
import { emailSuppressions, type SuppressionReason } from "../../db/schema.ts";
import type { Audit } from "../http/transactions.ts";
import type { Database } from "../platform/database.ts";
import type { SesOutcome } from "./ses-events.ts";

export type SuppressionRow = typeof emailSuppressions.$inferSelect;

/** A query with no tenant context (the request database's system()). */
type SystemQuery = <T extends Record<string, unknown>>(text: string, values: unknown[]) => Promise<T[]>;

/**
 * Applies one verified notification, once per SNS MessageId (app.record_ses_notification,
 * migration 0230, the only writer). Returns whether it was a replay and how many addresses it
 * newly marked.
 */
export async function recordNotification(
  system: SystemQuery,
  message: { messageId: string; topicArn: string },
  outcome: SesOutcome,
): Promise<{ duplicate: boolean; marked: number }> {
  const [row] = await system<{ result: { duplicate: boolean; marked: number } }>(
    "SELECT app.record_ses_notification($1, $2, $3, $4, $5::text[], $6) AS result",
    [message.messageId, message.topicArn, outcome.kind, outcome.reason, outcome.addresses, outcome.detail],
  );
  return row!.result;
}

export async function listSuppressions(
  db: Database,
  query: { limit: number; starting_after?: string; reason?: SuppressionReason; address?: string },
): Promise<{ rows: SuppressionRow[]; hasMore: boolean }> {
  const rows = await db
    .select()
    .from(emailSuppressions)
    .where(
      and(
        query.starting_after ? gt(emailSuppressions.address, query.starting_after.toLowerCase()) : undefined,
        query.reason ? eq(emailSuppressions.reason, query.reason) : undefined,
        query.address ? eq(emailSuppressions.address, query.address.toLowerCase()) : undefined,
      ),
    )
    .orderBy(asc(emailSuppressions.address))
    .limit(query.limit + 1);
  return { rows: rows.slice(0, query.limit), hasMore: rows.length > query.limit };
}

/** Removes a suppression (the owner fixed the mailbox); audited. Undefined when there was none. */
export async function removeSuppression(
  db: Database,
  audit: Audit,
  address: string,
): Promise<SuppressionRow | undefined> {
  const [removed] = await db
    .delete(emailSuppressions)
    .where(eq(emailSuppressions.address, sql`lower(${address})`))
    .returning();
  if (!removed) return undefined;
  await audit({
    action: "email_suppression.removed",
    resourceType: "email_suppression",
    resourceId: removed.address,
    summary: `Email to ${removed.address} allowed again (suppressed since ${removed.createdAt.toISOString()} for a ${removed.reason})`,
    data: { reason: removed.reason, source_message_id: removed.sourceMessageId },
  });
  return removed;
}
