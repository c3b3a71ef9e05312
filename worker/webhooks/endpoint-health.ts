// The failing-endpoint rule, applied by the minute sweep (worker/dispatch/redelivery.ts): an
// endpoint failing continuously for 4 days gets one warning notification; after 5 it is
// disabled, with `webhook.endpoint.disabled`. Both steps are idempotent (a warning is sent once,
// an endpoint disabled once), so overlapping sweeps are harmless.
import { and, eq, isNull, lt, sql } from "drizzle-orm";
import { webhookEndpoints } from "../../db/schema.ts";
import type { EventMessage } from "../events/messages.ts";
import { notify } from "../notifications/notify.ts";
import type { Database } from "../platform/database.ts";
import { disableEndpoints } from "./delivery-attempts.ts";

export const FAILING_WARNING_DAYS = 4;
export const FAILING_DISABLE_DAYS = 5;
const DAY_MS = 86_400_000;

/** Disables endpoints failing too long and warns those about to be; returns what to send after commit. */
export async function applyFailingEndpointRule(
  db: Database,
  now: Date,
): Promise<{ disabled: EventMessage[]; warningEmailIds: string[]; warned: number }> {
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
  const warningEmailIds = await notify(
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
  return { disabled, warningEmailIds, warned: toWarn.length };
}
