// Monthly, on the 1st at 00:00 UTC: bill the month that just ended (worker/billing/runs.ts).
// A run that stops part-way is recorded as failed in billing_runs and job_runs; firing the cron
// again (or POST /v1/admin/billing-runs) bills the customers it did not reach.
import type { Env } from "../worker/env.ts";
import { previousMonth } from "../worker/billing/periods.ts";
import { runBilling } from "../worker/billing/runs.ts";
import { withJobsSession } from "../worker/platform/database.ts";

export async function runMonthlyBilling(env: Env, now: Date): Promise<Record<string, unknown>> {
  const run = await withJobsSession(env, (transact) =>
    runBilling(transact, { periodStart: previousMonth(now), trigger: "cron" }),
  );
  const detail = {
    billing_run_id: run.id,
    period_start: run.periodStart,
    status: run.status,
    customers_billed: run.customersBilled,
    customers_failed: run.customersFailed,
    total_cents: run.totalCents,
  };
  if (run.status === "failed") throw new Error(`billing run ${run.id} failed: ${run.error ?? "unknown error"}`);
  return detail;
}
