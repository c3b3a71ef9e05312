// The monthly job (1st of the month, 00:00 UTC): bill the month that just ended (./runs.ts).
// A run that stops part-way is recorded as failed in billing_runs and job_runs; running the job
// again (or POST /v1/admin/billing-runs) bills the customers it did not reach.
import type { Env } from "../env.ts";
import { withJobsSession } from "../platform/database.ts";
import { previousMonth } from "./periods.ts";
import { runBilling } from "./runs.ts";

export async function runMonthlyBilling(env: Env, now: Date): Promise<Record<string, unknown>> {
  const run = await withJobsSession(env, (transact) =>
    runBilling(transact, { periodStart: previousMonth(now), trigger: "cron" }),
  );
  if (run.status === "failed") throw new Error(`billing run ${run.id} failed: ${run.error ?? "unknown error"}`);
  return {
    billing_run_id: run.id,
    period_start: run.periodStart,
    status: run.status,
    customers_billed: run.customersBilled,
    customers_failed: run.customersFailed,
    total_cents: run.totalCents,
  };
}
