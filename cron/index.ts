// Cron Triggers: look the expression up in the schedule, import that job from its domain, and
// run it under a job_runs record (worker/jobs/job-runs.ts: the heartbeat GET /v1/admin/status
// reports). Every job has one shape, `(env, now) => report`: it opens the jobs role itself,
// because some jobs commit in batches or publish after commit (docs/architecture.md).
import type { Env } from "../worker/env.ts";
import { runJob } from "../worker/jobs/job-runs.ts";
import { type JobName, schedule } from "./schedule.ts";

type Job = (env: Env, now: Date) => Promise<Record<string, unknown>>;

/** Each job, imported on its first run (an isolate builds only what it runs). */
const jobs: Record<JobName, () => Promise<Job>> = {
  "hourly-sweep": async () => (await import("../worker/jobs/retention.ts")).purgeExpiredRows,
  "monthly-billing": async () => (await import("../worker/billing/monthly-run.ts")).runMonthlyBilling,
  "events-sweep": async () => (await import("../worker/dispatch/redelivery.ts")).sweepEvents,
  "daily-cost": async () => (await import("../worker/cost/daily-refresh.ts")).refreshCostForecasts,
  "support-sla-sweep": async () => (await import("../worker/support/jobs.ts")).sweepSupportSla,
  "support-daily-purge": async () => (await import("../worker/support/jobs.ts")).purgeSupportTickets,
  alerts: async () => (await import("../worker/operations/alerts.ts")).evaluateAlerts,
  dunning: async () => (await import("../worker/invoices/dunning.ts")).runDunning,
  "closure-purge": async () => (await import("../worker/customers/purge.ts")).purgeClosedCustomers,
  "audit-archive": async () => (await import("../worker/audit/archive.ts")).archiveAuditEvents,
};

export async function runScheduled(cron: string, env: Env, now: Date): Promise<void> {
  const entry = Object.hasOwn(schedule, cron) ? schedule[cron as keyof typeof schedule] : undefined;
  // Thrown, not logged: the caller (Cron Trigger, /__scheduled in dev) sees the failure.
  if (!entry)
    throw new Error(
      `no job is scheduled for cron '${cron}'; known: ${Object.keys(schedule)
        .map((known) => `'${known}'`)
        .join(", ")}`,
    );
  const run = await jobs[entry.job]();
  await runJob(env, entry.job, cron, () => run(env, now));
}
