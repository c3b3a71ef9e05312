// The minute sweep: the safety net under the queue. It re-publishes outbox rows whose send was
// lost, re-queues webhook deliveries and emails that are due (their delayed message was lost,
// or a consumer died holding a lease), and applies the failing-endpoint rule: a warning
// notification after 4 days of continuous failure, disabled (with `webhook.endpoint.disabled`)
// after 5. Every step is idempotent, so overlapping sweeps are harmless.
import { and, asc, eq, inArray, isNull, lte, lt, sql } from "drizzle-orm";
import { emailMessages, notifications, outboxEvents, webhookDeliveries, webhookEndpoints } from "../../db/schema.ts";
import type { Env } from "../env.ts";
import { notify } from "../notifications/notify.ts";
import { withJobsDatabase } from "../platform/database.ts";
import { disableEndpoints } from "../webhooks/delivery.ts";
import { unpublishedEvents } from "./fan-out.ts";
import { sendAll, workMessages } from "./messages.ts";
import { publish, toMessage } from "./outbox.ts";

/** An outbox row unpublished for this long is presumed lost in transit and sent again. */
export const REPUBLISH_AFTER_SECONDS = 30;
export const FAILING_WARNING_DAYS = 4;
export const FAILING_DISABLE_DAYS = 5;
const BATCH = 500;
const DAY_MS = 86_400_000;

export async function sweepEvents(env: Env, now: Date): Promise<Record<string, unknown>> {
  const { events, deliveries, emails, disabled, warned } = await withJobsDatabase(env, async (db) => {
    const events = await unpublishedEvents(db, new Date(now.getTime() - REPUBLISH_AFTER_SECONDS * 1000), BATCH);
    const deliveries = await db
      .select({ id: webhookDeliveries.id })
      .from(webhookDeliveries)
      .where(and(inArray(webhookDeliveries.status, ["pending", "failed"]), lte(webhookDeliveries.nextAttemptAt, now)))
      .orderBy(asc(webhookDeliveries.nextAttemptAt))
      .limit(BATCH * 2);
    const emails = await db
      .select({ id: emailMessages.id })
      .from(emailMessages)
      .where(and(eq(emailMessages.status, "pending"), lte(emailMessages.nextAttemptAt, now)))
      .limit(BATCH);

    const failingTooLong = await db
      .select({ id: webhookEndpoints.id })
      .from(webhookEndpoints)
      .where(
        and(
          eq(webhookEndpoints.status, "enabled"),
          lt(webhookEndpoints.failingSince, new Date(now.getTime() - FAILING_DISABLE_DAYS * DAY_MS)),
        ),
      );
    const disabled = failingTooLong.length
      ? await disableEndpoints(
          db,
          failingTooLong.map((e) => e.id),
          "failing",
        )
      : [];

    const toWarn = await db
      .update(webhookEndpoints)
      .set({ failureWarningSentAt: sql`now()` })
      .where(
        and(
          eq(webhookEndpoints.status, "enabled"),
          isNull(webhookEndpoints.failureWarningSentAt),
          lt(webhookEndpoints.failingSince, new Date(now.getTime() - FAILING_WARNING_DAYS * DAY_MS)),
        ),
      )
      .returning();
    const warnedEmails = await notify(
      db,
      toWarn.map((e) => ({
        customerId: e.customerId,
        type: "webhook.endpoint.failing",
        eventId: null,
        data: {
          endpoint_id: e.id,
          url: e.url,
          failing_since: e.failingSince!.toISOString(),
          disable_at: new Date(e.failingSince!.getTime() + FAILING_DISABLE_DAYS * DAY_MS).toISOString(),
        },
      })),
    );
    return {
      events,
      deliveries,
      emails: [...emails.map((e) => e.id), ...warnedEmails],
      disabled,
      warned: toWarn.length,
    };
  });
  await publish(env.EVENTS, [...events.map(toMessage), ...disabled]);
  await sendAll(env.EVENTS, [
    ...workMessages(
      "webhook_deliveries",
      deliveries.map((d) => d.id),
    ),
    ...workMessages("emails", emails),
  ]);
  return {
    republished_events: events.length,
    requeued_deliveries: deliveries.length,
    requeued_emails: emails.length,
    disabled_endpoints: disabled.length,
    warned_endpoints: warned,
  };
}

export const EVENT_HISTORY_RETENTION_DAYS = 30;

/** Hourly: expired notifications (30 days), and published outbox rows and finished emails past retention. */
export async function purgeEventHistory(env: Env, now: Date): Promise<Record<string, number>> {
  const before = new Date(now.getTime() - EVENT_HISTORY_RETENTION_DAYS * DAY_MS);
  return withJobsDatabase(env, async (db) => {
    const expired = await db
      .delete(notifications)
      .where(lte(notifications.expiresAt, now))
      .returning({ id: notifications.id });
    const events = await db
      .delete(outboxEvents)
      .where(lt(outboxEvents.publishedAt, before))
      .returning({ id: outboxEvents.id });
    const emails = await db
      .delete(emailMessages)
      .where(and(inArray(emailMessages.status, ["sent", "failed"]), lt(emailMessages.createdAt, before)))
      .returning({ id: emailMessages.id });
    return { purged_notifications: expired.length, purged_outbox_events: events.length, purged_emails: emails.length };
  });
}
