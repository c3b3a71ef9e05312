// The customer-visible delivery log and replay: list an endpoint's deliveries, read one with its
// attempts, retry one now (a dead or failed delivery gets a fresh schedule), and recover an
// endpoint (re-send everything failed or dead since a time). Replays keep the event id, so the
// receiver sees the same `webhook-id` and can deduplicate.
import { and, asc, desc, eq, gte, inArray, sql } from "drizzle-orm";
import { webhookDeliveries, webhookDeliveryAttempts, webhookEndpoints } from "../../db/schema.ts";
import { ProblemError } from "../http/problem.ts";
import { afterCursor, type PaginationQuery } from "../http/pagination.ts";
import type { Database } from "../platform/database.ts";
import type { Audit } from "../http/transactions.ts";

export type DeliveryRow = typeof webhookDeliveries.$inferSelect;

export function listDeliveries(
  db: Database,
  customerId: string,
  endpointId: string,
  page: PaginationQuery & { status?: DeliveryRow["status"]; event_type?: string },
): Promise<DeliveryRow[]> {
  return db
    .select()
    .from(webhookDeliveries)
    .where(
      and(
        eq(webhookDeliveries.customerId, customerId),
        eq(webhookDeliveries.endpointId, endpointId),
        page.status ? eq(webhookDeliveries.status, page.status) : undefined,
        page.event_type ? eq(webhookDeliveries.eventType, page.event_type) : undefined,
        afterCursor(webhookDeliveries.id, page),
      ),
    )
    .orderBy(desc(webhookDeliveries.id))
    .limit(page.limit + 1);
}

export async function getDelivery(db: Database, customerId: string, id: string) {
  const [delivery] = await db
    .select()
    .from(webhookDeliveries)
    .where(and(eq(webhookDeliveries.customerId, customerId), eq(webhookDeliveries.id, id)));
  if (!delivery) return undefined;
  const attempts = await db
    .select()
    .from(webhookDeliveryAttempts)
    .where(and(eq(webhookDeliveryAttempts.customerId, customerId), eq(webhookDeliveryAttempts.deliveryId, id)))
    .orderBy(asc(webhookDeliveryAttempts.attemptNumber));
  return { delivery, attempts };
}

/**
 * Makes a delivery due now. A retried delivery keeps its attempt log and counts on from it;
 * a dead one gets the whole schedule again (attempt numbers keep rising in the log).
 */
export async function retryDelivery(
  db: Database,
  audit: Audit,
  customerId: string,
  id: string,
): Promise<DeliveryRow | undefined> {
  const [target] = await db
    .select({ eventType: webhookDeliveries.eventType, endpointStatus: webhookEndpoints.status })
    .from(webhookDeliveries)
    .innerJoin(
      webhookEndpoints,
      and(
        eq(webhookEndpoints.customerId, webhookDeliveries.customerId),
        eq(webhookEndpoints.id, webhookDeliveries.endpointId),
      ),
    )
    .where(and(eq(webhookDeliveries.customerId, customerId), eq(webhookDeliveries.id, id)));
  if (!target) return undefined;
  // Nothing is sent to a disabled endpoint (test events excepted): say so instead of queueing in vain.
  if (target.endpointStatus === "disabled" && target.eventType !== "webhook.test") {
    throw new ProblemError(
      409,
      "endpoint-disabled",
      "Endpoint disabled",
      "The delivery's endpoint is disabled; enable it, then retry (or recover).",
    );
  }
  const [row] = await db
    .update(webhookDeliveries)
    .set({ status: "pending", nextAttemptAt: sql`now()`, updatedAt: sql`now()` })
    .where(and(eq(webhookDeliveries.customerId, customerId), eq(webhookDeliveries.id, id)))
    .returning();
  if (!row) return undefined;
  await audit({
    action: "webhook_delivery.retried",
    resourceType: "webhook_delivery",
    resourceId: id,
    summary: `Webhook delivery of ${row.eventType} (${row.eventId}) queued for another attempt`,
    data: { endpoint_id: row.endpointId, event_id: row.eventId },
  });
  return row;
}

/** Queues every failed or dead delivery of the endpoint created since `since`; returns their ids. */
export async function recoverEndpoint(
  db: Database,
  audit: Audit,
  customerId: string,
  endpointId: string,
  since: Date,
): Promise<string[]> {
  const rows = await db
    .update(webhookDeliveries)
    .set({ status: "pending", nextAttemptAt: sql`now()`, updatedAt: sql`now()` })
    .where(
      and(
        eq(webhookDeliveries.customerId, customerId),
        eq(webhookDeliveries.endpointId, endpointId),
        inArray(webhookDeliveries.status, ["failed", "dead"]),
        gte(webhookDeliveries.createdAt, since),
      ),
    )
    .returning({ id: webhookDeliveries.id });
  await audit({
    action: "webhook_endpoint.recovered",
    resourceType: "webhook_endpoint",
    resourceId: endpointId,
    summary: `${rows.length} failed or dead webhook deliveries since ${since.toISOString()} queued again`,
    data: { since: since.toISOString(), requeued: rows.length },
  });
  return rows.map((r) => r.id);
}
