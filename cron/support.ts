// Support desk jobs (thin adapters; the rules are in worker/support/sweep.ts), on the jobs role.
import type { Env } from "../worker/env.ts";
import { withJobsDatabase } from "../worker/platform/database.ts";
import { purgeClosedTickets, sweepSlaBreaches } from "../worker/support/sweep.ts";

/** Every 5 minutes: record SLA breaches once each and emit ticket.sla_breached. */
export async function sweepSupportSla(env: Env): Promise<Record<string, unknown>> {
  const breaches = await withJobsDatabase(env, (db) => sweepSlaBreaches(db));
  return { first_response_breaches: breaches.first_response, resolution_breaches: breaches.resolution };
}

/** Daily: purge tickets closed more than 90 days ago, with their comments, audited. */
export function purgeSupportTickets(env: Env): Promise<Record<string, unknown>> {
  return withJobsDatabase(env, (db) => purgeClosedTickets(db));
}
