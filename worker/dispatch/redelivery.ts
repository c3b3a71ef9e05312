// The minute sweep: the safety net under the queue. It re-publishes outbox rows whose send was
// lost, re-queues webhook deliveries and emails that are due (their delayed message was lost,
// or a consumer died holding a lease), and applies the failing-endpoint rule
// (worker/webhooks/endpoint-health.ts); it also re-queues customer exports whose chain of slice
// messages broke (worker/customers/export-queue.ts). Every step is idempotent, so overlapping sweeps are
// harmless.
import { and, asc, eq, inArray, lte } from "drizzle-orm";
import { emailMessages, webhookDeliveries } from "../../db/schema.ts";
import { requeueExports, stalledExports } from "../customers/export-queue.ts";
import type { Env } from "../env.ts";
import { sendAll, workMessages } from "../events/messages.ts";
import { publish, toMessage } from "../events/outbox.ts";
import { withJobsDatabase } from "../platform/database.ts";
import { applyFailingEndpointRule } from "../webhooks/endpoint-health.ts";
import { unpublishedEvents } from "./fan-out.ts";

/** An outbox row unpublished for this long is presumed lost in transit and sent again. */
export const REPUBLISH_AFTER_SECONDS = 30;
const BATCH = 500;

export async function sweepEvents(env: Env, now: Date): Promise<Record<string, unknown>> {
  const { events, deliveries, emails, disabled, warned, exports } = await withJobsDatabase(env, async (db) => {
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
    const endpoints = await applyFailingEndpointRule(db, now);
    const exports = await stalledExports(db, now);
    return {
      exports,
      events,
      deliveries,
      emails: [...emails.map((e) => e.id), ...endpoints.warningEmailIds],
      disabled: endpoints.disabled,
      warned: endpoints.warned,
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
  await requeueExports(env, exports);
  return {
    republished_events: events.length,
    requeued_deliveries: deliveries.length,
    requeued_emails: emails.length,
    disabled_endpoints: disabled.length,
    warned_endpoints: warned,
    requeued_exports: exports.length,
  };
}
