// What the queue consumer does with published outbox events, in one jobs transaction:
// mark them published (only rows not yet published: this is what makes the consumer idempotent
// by event id — a redelivered message finds its row published and does nothing), strip their
// sealed secrets, create one webhook delivery per subscribed endpoint (UNIQUE (endpoint, event)
// guards again), and write the notifications and emails. Delivery and sending happen after the
// commit, from work messages.
import { and, asc, inArray, isNull, lt, sql } from "drizzle-orm";
import { customers, outboxEvents, webhookDeliveries, webhookEndpoints } from "../../db/schema.ts";
import type { PgInsertValue } from "drizzle-orm/pg-core";
import { notify } from "../notifications/notify.ts";
import { notifyStaff } from "../notifications/staff.ts";
import type { Database } from "../platform/database.ts";
import { isEventType } from "../events/catalogue.ts";
import { SEALED_FIELD } from "../events/outbox.ts";

interface ClaimedEvent {
  id: string;
  customer_id: string;
  type: string;
  payload: Record<string, unknown>;
  created_at: string;
}

export interface FanOutResult {
  events: number;
  deliveryIds: string[];
  emailIds: string[];
}

export async function fanOut(db: Database, eventIds: string[]): Promise<FanOutResult> {
  if (eventIds.length === 0) return { events: 0, deliveryIds: [], emailIds: [] };
  const result = await db.execute<Record<string, unknown>>(sql`
    UPDATE outbox_events o SET published_at = now(), payload = o.payload - ${SEALED_FIELD}::text
    FROM (SELECT id, payload FROM outbox_events WHERE id IN ${eventIds} AND published_at IS NULL FOR UPDATE) prior
    WHERE o.id = prior.id
    RETURNING o.id, o.customer_id, o.type, prior.payload, to_char(o.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS created_at`);
  const events = result.rows as unknown as ClaimedEvent[];
  if (events.length === 0) return { events: 0, deliveryIds: [], emailIds: [] };

  const customerIds = [...new Set(events.map((e) => e.customer_id))];
  const endpoints = await db
    .select({
      id: webhookEndpoints.id,
      customerId: webhookEndpoints.customerId,
      eventTypes: webhookEndpoints.eventTypes,
      status: webhookEndpoints.status,
    })
    .from(webhookEndpoints)
    .where(inArray(webhookEndpoints.customerId, customerIds));

  const deliveries: PgInsertValue<typeof webhookDeliveries>[] = [];
  for (const event of events) {
    const { [SEALED_FIELD]: _sealed, ...data } = event.payload;
    const envelope = { id: event.id, type: event.type, timestamp: event.created_at, data };
    const targets = !isEventType(event.type)
      ? []
      : event.type === "webhook.test"
        ? endpoints.filter((e) => e.id === data.endpoint_id && e.customerId === event.customer_id)
        : endpoints.filter(
            (e) =>
              e.customerId === event.customer_id &&
              e.status === "enabled" &&
              (e.eventTypes.length === 0 || e.eventTypes.includes(event.type)),
          );
    for (const endpoint of targets) {
      deliveries.push({
        customerId: event.customer_id,
        endpointId: endpoint.id,
        eventId: event.id,
        eventType: event.type,
        payload: envelope,
        nextAttemptAt: sql`now()`,
      });
    }
  }
  const created = [];
  for (let i = 0; i < deliveries.length; i += 1000) {
    created.push(
      ...(await db
        .insert(webhookDeliveries)
        .values(deliveries.slice(i, i + 1000))
        .onConflictDoNothing()
        .returning({ id: webhookDeliveries.id })),
    );
  }
  const emailIds = await notify(
    db,
    events.map((e) => {
      const { [SEALED_FIELD]: sealed, ...data } = e.payload;
      return {
        customerId: e.customer_id,
        type: e.type,
        eventId: e.id,
        data,
        ...(typeof sealed === "string" ? { sealed } : {}),
      };
    }),
  );
  emailIds.push(...(await notifyStaffOfNewTickets(db, events)));
  return { events: events.length, deliveryIds: created.map((d) => d.id), emailIds };
}

/** SecureBase staff hear of every ticket a customer opens (docs/support.md); SLA breaches reach them as alerts. */
async function notifyStaffOfNewTickets(db: Database, events: ClaimedEvent[]): Promise<string[]> {
  const created = events.filter((e) => e.type === "ticket.created");
  if (created.length === 0) return [];
  const names = await db
    .select({ id: customers.id, name: customers.name })
    .from(customers)
    .where(inArray(customers.id, [...new Set(created.map((e) => e.customer_id))]));
  return notifyStaff(
    db,
    created.map((e) => ({
      type: "staff.ticket_created" as const,
      data: {
        ...e.payload,
        customer_id: e.customer_id,
        customer_name: names.find((n) => n.id === e.customer_id)?.name ?? e.customer_id,
      },
    })),
  );
}

/** Outbox rows never published (their send was lost or is late), oldest first; counts the try. */
export function unpublishedEvents(db: Database, olderThan: Date, limit: number) {
  return db
    .update(outboxEvents)
    .set({ attempts: sql`${outboxEvents.attempts} + 1` })
    .where(
      inArray(
        outboxEvents.id,
        db
          .select({ id: outboxEvents.id })
          .from(outboxEvents)
          .where(and(isNull(outboxEvents.publishedAt), lt(outboxEvents.createdAt, olderThan)))
          .orderBy(asc(outboxEvents.createdAt))
          .limit(limit),
      ),
    )
    .returning();
}
