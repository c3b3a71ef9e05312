// Daily, 00:30 UTC: refit and cache every customer's cost forecast, check budgets (alerting each
// newly crossed threshold once), and drop cached forecasts past their 90-day retention. Each
// batch of customers is its own jobs-role transaction, so one bad batch does not undo the rest.
import { and, asc, eq, gt } from "drizzle-orm";
import { customers } from "../../db/schema.ts";
import type { Env } from "../env.ts";
import { checkBudgets } from "./budgets.ts";
import { purgeExpiredForecasts, refreshForecasts } from "./forecast-cache.ts";
import { publish } from "../events/outbox.ts";
import type { EventMessage } from "../events/messages.ts";
import { withJobsDatabase } from "../platform/database.ts";

const BATCH = 200;

export async function refreshCostForecasts(env: Env, now: Date): Promise<Record<string, unknown>> {
  let after = "00000000-0000-0000-0000-000000000000";
  let forecasts = 0;
  let insufficient = 0;
  let alerts = 0;
  for (;;) {
    const events: EventMessage[] = [];
    const batch = await withJobsDatabase(env, async (db) => {
      const ids = (
        await db
          .select({ id: customers.id })
          .from(customers)
          .where(and(eq(customers.status, "active"), gt(customers.id, after)))
          .orderBy(asc(customers.id))
          .limit(BATCH)
      ).map((r) => r.id);
      if (ids.length === 0) return ids;
      const refreshed = await refreshForecasts(db, ids, now);
      forecasts += refreshed.cached;
      insufficient += refreshed.insufficient;
      events.push(...(await checkBudgets(db, now, ids)));
      return ids;
    });
    // Committed: publish now (a lost send is re-published by the minute sweep).
    alerts += events.length;
    await publish(env.EVENTS, events);
    if (batch.length < BATCH) break;
    after = batch.at(-1)!;
  }
  const purged = await withJobsDatabase(env, (db) => purgeExpiredForecasts(db, now));
  return {
    customers_forecast: forecasts,
    customers_insufficient_history: insufficient,
    budget_alerts: alerts,
    purged_forecasts: purged,
  };
}
