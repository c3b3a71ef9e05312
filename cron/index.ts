// Cron Triggers dispatch by expression (wrangler.toml [triggers] crons). Each job runs on the
// jobs role and records itself in job_runs (the heartbeat an operator alerts on when it stops).
import type { Env } from "../worker/env.ts";
import { runMonthlyBilling } from "./billing.ts";
import { runDailyCost } from "./cost.ts";
import { runJob } from "./job-runs.ts";
import { sweepEvents } from "../worker/events/sweep.ts";
import { purgeSupportTickets, sweepSupportSla } from "./support.ts";
import { sweepPlatformTables } from "./sweep.ts";

export const schedules: Record<
  string,
  { job: string; run: (env: Env, now: Date) => Promise<Record<string, unknown>> }
> = {
  "0 * * * *": { job: "hourly-sweep", run: sweepPlatformTables },
  "0 0 1 * *": { job: "monthly-billing", run: runMonthlyBilling },
  // Outbox re-publishing, due webhook deliveries and emails, failing endpoints (worker/events/sweep.ts).
  "* * * * *": { job: "events-sweep", run: sweepEvents },
  "30 0 * * *": { job: "daily-cost", run: runDailyCost },
  "*/5 * * * *": { job: "support-sla-sweep", run: sweepSupportSla },
  "30 3 * * *": { job: "support-daily-purge", run: purgeSupportTickets },
};

export async function runScheduled(cron: string, env: Env, now: Date): Promise<void> {
  const schedule = schedules[cron];
  // Thrown, not logged: the caller (Cron Trigger, /__scheduled in dev) sees the failure.
  if (!schedule)
    throw new Error(
      `no job is scheduled for cron '${cron}'; known: ${Object.keys(schedules)
        .map((known) => `'${known}'`)
        .join(", ")}`,
    );
  await runJob(env, schedule.job, cron, () => schedule.run(env, now));
}
