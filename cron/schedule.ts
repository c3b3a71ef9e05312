// The schedule: which job each Cron Trigger expression runs (the expressions are wrangler.toml's
// [triggers] crons; test/deploy/wrangler-environments.test.ts keeps the two equal). Plain data
// with no imports, so worker/admin/status.ts can list every job without loading any of them.
export const schedule = {
  "0 * * * *": {
    job: "hourly-sweep",
    does: "purges rows past retention (events, emails, notifications, receipts, job runs)",
  },
  "0 0 1 * *": { job: "monthly-billing", does: "bills the month that just ended" },
  "* * * * *": {
    job: "events-sweep",
    does: "re-publishes lost events, re-queues due deliveries and emails, failing endpoints",
  },
  "30 0 * * *": { job: "daily-cost", does: "refits cost forecasts, checks budgets" },
  "*/5 * * * *": { job: "support-sla-sweep", does: "records SLA breaches" },
  "30 3 * * *": { job: "support-daily-purge", does: "purges tickets closed past retention" },
  // Every minute too, as its own expression beside the events sweep's (one job per expression).
  "*/1 * * * *": { job: "alerts", does: "evaluates the alert rules, notifies on-call staff of changes" },
  "0 6 * * *": { job: "dunning", does: "reminds of overdue invoices, marks customers past due" },
  "15 4 * * *": { job: "closure-purge", does: "deletes closed customers' data past the grace period" },
  "15 2 * * *": {
    job: "audit-archive",
    does: "moves audit events past the hot window to R2, deletes archives past retention (not held)",
  },
} as const;

export type CronExpression = keyof typeof schedule;
export type JobName = (typeof schedule)[CronExpression]["job"];
