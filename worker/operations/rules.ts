// The alert rules (docs/operations.md, "Alerts"): each reads the platform on the jobs role and
// returns what is wrong now, one finding per key (a job, a ticket…). A rule returning no finding
// for a key that has an open incident resolves that incident (worker/operations/alerts.ts).
import { sql } from "drizzle-orm";
import { schedule } from "../../cron/schedule.ts";
import type { Env } from "../env.ts";
import type { Database } from "../platform/database.ts";
import { requestCounter } from "../platform/request-count.ts";

export const ALERT_RULES = [
  "cron_job_failed",
  "cron_job_missed",
  "outbox_backlog",
  "webhook_deliveries_dead",
  "queue_dead_letters",
  "error_rate_5xx",
  "sla_breached",
  "billing_run_failed",
] as const;
export type AlertRule = (typeof ALERT_RULES)[number];

export interface Finding {
  key: string;
  summary: string;
  details: Record<string, unknown>;
}

/** Thresholds (docs/operations.md, "Alerts"). */
export const THRESHOLDS = {
  outboxBacklogSeconds: 5 * 60,
  /** Dead deliveries and dead letters count while newer than this: quiet this long resolves. */
  deadWindowMinutes: 60,
  errorRateWindowMinutes: 5,
  errorRatePercent: 1,
  /** Fewer requests than this in the window is too little traffic to judge a rate on. */
  errorRateMinRequests: 20,
  /** Failed job runs older than this no longer count (the job stopped being scheduled). */
  failedJobLookbackDays: 7,
} as const;

export const runbookUrl = (rule: AlertRule) => `docs/runbooks.md#alert-${rule}`;

/**
 * The longest gap a cron expression leaves between runs, in seconds (the five fields; the
 * expressions of cron/schedule.ts): every minute, every n minutes, hourly, daily, weekly, monthly.
 */
export function cronIntervalSeconds(expression: string): number {
  const [minute, hour, dayOfMonth, , dayOfWeek] = expression.trim().split(/\s+/);
  const step = (field: string | undefined) => (field === "*" ? 1 : Number(/^\*\/(\d+)$/.exec(field ?? "")?.[1]));
  if (minute === "*" || minute?.startsWith("*/")) return 60 * step(minute);
  if (hour === "*" || hour?.startsWith("*/")) return 3600 * step(hour);
  if (dayOfMonth === "*" && dayOfWeek === "*") return 86_400;
  if (dayOfMonth === "*") return 7 * 86_400;
  return 31 * 86_400;
}

/** How late a run may be before it counts as missed: half its interval, at least 2 minutes. */
export const graceSeconds = (interval: number) => Math.max(120, Math.floor(interval / 2));

type Rows<T> = { rows: T[] };
const rowsOf = <T>(result: unknown) => (result as Rows<T>).rows;

async function cronJobFailed(db: Database): Promise<Finding[]> {
  const rows = rowsOf<{ job: string; cron: string | null; started_at: string; error: string | null }>(
    await db.execute(sql`
      SELECT job, cron, started_at, detail->>'error' AS error FROM (
        SELECT DISTINCT ON (job) job, cron, status, started_at, detail FROM job_runs
         WHERE status <> 'running'
           AND started_at > now() - make_interval(days => ${THRESHOLDS.failedJobLookbackDays}::integer)
         ORDER BY job, started_at DESC) last_run
      WHERE status = 'failed' ORDER BY job`),
  );
  return rows.map((r) => ({
    key: r.job,
    summary: `Cron job ${r.job} failed (run started ${new Date(r.started_at).toISOString()})${r.error ? `: ${r.error.slice(0, 200)}` : ""}`,
    details: { job: r.job, cron: r.cron, started_at: new Date(r.started_at).toISOString(), error: r.error },
  }));
}

async function cronJobMissed(db: Database, now: Date): Promise<Finding[]> {
  const rows = rowsOf<{ job: string; started_at: string }>(
    await db.execute(sql`SELECT job, max(started_at) AS started_at FROM job_runs GROUP BY job`),
  );
  const findings: Finding[] = [];
  for (const [cron, { job }] of Object.entries(schedule)) {
    const last = rows.find((r) => r.job === job);
    // A job that never ran is not alerted: a fresh deployment has run nothing yet (docs/operations.md).
    if (!last) continue;
    const interval = cronIntervalSeconds(cron);
    const late = (now.getTime() - Date.parse(last.started_at)) / 1000;
    if (late <= interval + graceSeconds(interval)) continue;
    findings.push({
      key: job,
      summary: `Cron job ${job} (${cron}) has not run for ${Math.floor(late / 60)} minutes`,
      details: {
        job,
        cron,
        last_started_at: new Date(last.started_at).toISOString(),
        expected_every_seconds: interval,
        grace_seconds: graceSeconds(interval),
      },
    });
  }
  return findings;
}

async function outboxBacklog(db: Database): Promise<Finding[]> {
  const [row] = rowsOf<{ unpublished: number; oldest: string | null; age: number | null }>(
    await db.execute(sql`
      SELECT count(*)::int AS unpublished, min(created_at) AS oldest,
             extract(epoch FROM now() - min(created_at))::int AS age
        FROM outbox_events WHERE published_at IS NULL`),
  );
  if (!row?.oldest || (row.age ?? 0) <= THRESHOLDS.outboxBacklogSeconds) return [];
  return [
    {
      key: "events",
      summary: `${row.unpublished} outbox events unpublished, the oldest for ${Math.floor((row.age ?? 0) / 60)} minutes`,
      details: {
        unpublished: row.unpublished,
        oldest_unpublished_at: new Date(row.oldest).toISOString(),
        age_seconds: row.age,
      },
    },
  ];
}

async function webhookDeliveriesDead(db: Database): Promise<Finding[]> {
  const [row] = rowsOf<{ dead: number; customers: number }>(
    await db.execute(sql`
      SELECT count(*)::int AS dead, count(DISTINCT customer_id)::int AS customers FROM webhook_deliveries
       WHERE status = 'dead' AND updated_at > now() - make_interval(mins => ${THRESHOLDS.deadWindowMinutes}::integer)`),
  );
  if (!row || row.dead === 0) return [];
  return [
    {
      key: "all",
      summary: `${row.dead} webhook deliveries died in the last ${THRESHOLDS.deadWindowMinutes} minutes (${row.customers} customers)`,
      details: { dead: row.dead, customers: row.customers, window_minutes: THRESHOLDS.deadWindowMinutes },
    },
  ];
}

async function queueDeadLetters(db: Database): Promise<Finding[]> {
  const rows = rowsOf<{ queue: string; messages: number; latest: string }>(
    await db.execute(sql`
      SELECT queue, count(*)::int AS messages, max(received_at) AS latest FROM queue_dead_letters
       WHERE received_at > now() - make_interval(mins => ${THRESHOLDS.deadWindowMinutes}::integer)
       GROUP BY queue ORDER BY queue`),
  );
  return rows.map((r) => ({
    key: r.queue,
    summary: `${r.messages} messages dead-lettered on ${r.queue} in the last ${THRESHOLDS.deadWindowMinutes} minutes`,
    details: { queue: r.queue, messages: r.messages, latest_at: new Date(r.latest).toISOString() },
  }));
}

async function errorRate5xx(env: Env, now: Date): Promise<Finding[]> {
  const windowMs = THRESHOLDS.errorRateWindowMinutes * 60_000;
  const minutes = await requestCounter(env).since(now.getTime() - windowMs);
  const inWindow = minutes.filter((m) => m.minute <= now.getTime());
  const requests = inWindow.reduce((sum, m) => sum + m.requests, 0);
  const errors = inWindow.reduce((sum, m) => sum + m.errors5xx, 0);
  if (requests < THRESHOLDS.errorRateMinRequests || errors * 100 <= requests * THRESHOLDS.errorRatePercent) return [];
  const percent = Math.round((errors * 10_000) / requests) / 100;
  return [
    {
      key: "api",
      summary: `${percent} % of requests answered 5xx in the last ${THRESHOLDS.errorRateWindowMinutes} minutes (${errors} of ${requests})`,
      details: { requests, errors_5xx: errors, percent, window_minutes: THRESHOLDS.errorRateWindowMinutes },
    },
  ];
}

async function slaBreached(db: Database): Promise<Finding[]> {
  const rows = rowsOf<{ id: string; customer_id: string; priority: string; subject: string; breached_at: string }>(
    await db.execute(sql`
      SELECT id, customer_id, priority, subject, sla_breached_at AS breached_at FROM support_tickets
       WHERE sla_breached_at IS NOT NULL AND status NOT IN ('resolved', 'closed')
       ORDER BY sla_breached_at LIMIT 200`),
  );
  return rows.map((r) => ({
    key: r.id,
    summary: `SLA breached on ${r.priority} ticket ${r.id}: ${r.subject.slice(0, 120)}`,
    details: {
      ticket_id: r.id,
      customer_id: r.customer_id,
      priority: r.priority,
      breached_at: new Date(r.breached_at).toISOString(),
    },
  }));
}

async function billingRunFailed(db: Database): Promise<Finding[]> {
  const [row] = rowsOf<{ id: string; period_start: string; status: string; error: string | null }>(
    await db.execute(sql`
      SELECT id, period_start::text AS period_start, status, error FROM billing_runs
       WHERE NOT dry_run AND status <> 'running' ORDER BY started_at DESC LIMIT 1`),
  );
  if (row?.status !== "failed") return [];
  return [
    {
      key: "billing",
      summary: `The billing run for ${row.period_start} failed${row.error ? `: ${row.error.slice(0, 200)}` : ""}`,
      details: { run_id: row.id, period_start: row.period_start, error: row.error },
    },
  ];
}

/** Every rule's findings; a rule that throws is reported apart and its incidents left as they are. */
export async function evaluateRules(
  env: Env,
  db: Database,
  now: Date,
): Promise<{ findings: Map<AlertRule, Finding[]>; errors: Partial<Record<AlertRule, string>> }> {
  const evaluate: Record<AlertRule, () => Promise<Finding[]>> = {
    cron_job_failed: () => cronJobFailed(db),
    cron_job_missed: () => cronJobMissed(db, now),
    outbox_backlog: () => outboxBacklog(db),
    webhook_deliveries_dead: () => webhookDeliveriesDead(db),
    queue_dead_letters: () => queueDeadLetters(db),
    error_rate_5xx: () => errorRate5xx(env, now),
    sla_breached: () => slaBreached(db),
    billing_run_failed: () => billingRunFailed(db),
  };
  const findings = new Map<AlertRule, Finding[]>();
  const errors: Partial<Record<AlertRule, string>> = {};
  // One after another: they share the one connection of the jobs transaction; a savepoint per
  // rule keeps one rule's failed query from aborting the others.
  for (const rule of ALERT_RULES) {
    await db.execute(sql`SAVEPOINT alert_rule`);
    try {
      findings.set(rule, await evaluate[rule]());
      await db.execute(sql`RELEASE SAVEPOINT alert_rule`);
    } catch (error) {
      await db.execute(sql`ROLLBACK TO SAVEPOINT alert_rule`);
      errors[rule] = error instanceof Error ? error.message : String(error);
    }
  }
  return { findings, errors };
}
