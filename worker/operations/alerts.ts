// The alert job (every minute, cron/schedule.ts; docs/operations.md "Alerts"): evaluate every rule
// (worker/operations/rules.ts), then keep one incident per rule and key in alert_incidents:
// a new finding opens one and notifies on-call staff (in-app, email, the operations webhook);
// while it holds, only last_seen_at moves and nothing is re-sent; when it clears, the incident is
// resolved and one resolve message goes out. All of that in one jobs transaction, so two
// overlapping runs cannot open or resolve the same incident twice (the partial unique index and
// `resolved_at IS NULL` guards); emails and webhooks are sent after the commit.
import { sql } from "drizzle-orm";
import type { Env } from "../env.ts";
import { sendDueEmails } from "../notifications/email.ts";
import { notifyStaff, type StaffNotice } from "../notifications/staff.ts";
import { type Database, withJobsDatabase } from "../platform/database.ts";
import { safeError } from "../platform/log-safe.ts";
import { deliverOpsWebhooks, opsWebhookConfigured } from "./ops-webhook.ts";
import { type AlertRule, evaluateRules, type Finding, runbookUrl } from "./rules.ts";

interface IncidentRow {
  id: string;
  rule: AlertRule;
  key: string;
  opened_at: string;
  resolved_at: string | null;
  details: Record<string, unknown>;
}

const iso = (value: string | null) => (value === null ? null : new Date(value).toISOString());
const label = (i: IncidentRow) => `${i.rule}:${i.key}`;

/** Opens, refreshes and resolves incidents to match the findings; returns what changed. */
export async function reconcileIncidents(
  db: Database,
  findings: Map<AlertRule, Finding[]>,
): Promise<{ opened: IncidentRow[]; resolved: IncidentRow[]; ongoing: number }> {
  const open = (await db.execute(sql`SELECT id, rule, key FROM alert_incidents WHERE resolved_at IS NULL FOR UPDATE`))
    .rows as unknown as Pick<IncidentRow, "id" | "rule" | "key">[];
  const opened: IncidentRow[] = [];
  const resolved: IncidentRow[] = [];
  let ongoing = 0;
  for (const [rule, found] of findings) {
    for (const finding of found) {
      const details = { ...finding.details, summary: finding.summary };
      const existing = open.find((i) => i.rule === rule && i.key === finding.key);
      if (existing) {
        ongoing++;
        await db.execute(
          sql`UPDATE alert_incidents SET last_seen_at = now(), details = ${JSON.stringify(details)}::jsonb WHERE id = ${existing.id}`,
        );
        continue;
      }
      const inserted = await db.execute(sql`
        INSERT INTO alert_incidents (rule, key, details) VALUES (${rule}, ${finding.key}, ${JSON.stringify(details)}::jsonb)
        ON CONFLICT (rule, key) WHERE resolved_at IS NULL DO NOTHING
        RETURNING id, rule, key, opened_at, resolved_at, details`);
      opened.push(...(inserted.rows as unknown as IncidentRow[]));
    }
    // Only rules that were evaluated resolve: a rule whose query failed leaves its incidents open.
    const cleared = open.filter((i) => i.rule === rule && !found.some((f) => f.key === i.key));
    for (const incident of cleared) {
      const updated = await db.execute(sql`
        UPDATE alert_incidents SET resolved_at = now() WHERE id = ${incident.id} AND resolved_at IS NULL
        RETURNING id, rule, key, opened_at, resolved_at, details`);
      resolved.push(...(updated.rows as unknown as IncidentRow[]));
    }
  }
  return { opened, resolved, ongoing };
}

const noticeData = (i: IncidentRow) => ({
  incident_id: i.id,
  rule: i.rule,
  key: i.key,
  summary: i.details.summary ?? "",
  opened_at: iso(i.opened_at),
  resolved_at: iso(i.resolved_at),
  runbook: runbookUrl(i.rule),
});

/** Job (every minute): evaluate the rules, open/resolve incidents, notify on-call staff. */
export async function evaluateAlerts(env: Env, now: Date): Promise<Record<string, unknown>> {
  const outcome = await withJobsDatabase(env, async (db) => {
    const { findings, errors } = await evaluateRules(env, db, now);
    const changes = await reconcileIncidents(db, findings);
    const notices: StaffNotice[] = [
      ...changes.opened.map((i) => ({ type: "platform.alert_opened" as const, data: noticeData(i) })),
      ...changes.resolved.map((i) => ({ type: "platform.alert_resolved" as const, data: noticeData(i) })),
    ];
    const emailIds = await notifyStaff(db, notices);
    if (opsWebhookConfigured(env)) {
      const rows = [
        ...changes.opened.map((i) => ({ id: i.id, kind: "opened" })),
        ...changes.resolved.map((i) => ({ id: i.id, kind: "resolved" })),
      ];
      for (const row of rows) {
        await db.execute(
          sql`INSERT INTO alert_deliveries (incident_id, kind) VALUES (${row.id}, ${row.kind}) ON CONFLICT DO NOTHING`,
        );
      }
    }
    return { changes, errors, emailIds };
  });
  // After the commit; a failed send is retried by the events sweep (emails) or the next run (webhook).
  let emails = { sent: 0, failed: 0 };
  let webhooks = { delivered: 0, failed: 0 };
  try {
    if (outcome.emailIds.length > 0) emails = await sendDueEmails(env, outcome.emailIds);
  } catch (error) {
    console.error(`alert emails: ${safeError(error)}`);
  }
  try {
    webhooks = await deliverOpsWebhooks(env);
  } catch (error) {
    console.error(`ops webhook: ${safeError(error)}`);
  }
  const report = {
    opened: outcome.changes.opened.map(label),
    resolved: outcome.changes.resolved.map(label),
    ongoing: outcome.changes.ongoing,
    emails,
    webhooks,
    rule_errors: outcome.errors,
  };
  // A rule that could not be evaluated fails the run, so job_runs (and cron_job_failed) show it.
  if (Object.keys(outcome.errors).length > 0) {
    throw new Error(`alert rules failed: ${JSON.stringify(outcome.errors).slice(0, 500)}`);
  }
  return report;
}
