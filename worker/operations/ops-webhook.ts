// The operations webhook (OPS_WEBHOOK_URL / OPS_WEBHOOK_SECRET, docs/operations.md "Alerts"):
// each incident's "opened" and "resolved" messages, signed like customer webhooks (Standard
// Webhooks, worker/webhooks/signing.ts) with the delivery's id as webhook-id, so a receiver can
// drop a retry it already has. Claimed with a lease, retried with backoff (1, 2, 4 … 60 min) up
// to MAX_OPS_ATTEMPTS, then marked dead; every attempt's outcome stays on the alert_deliveries row.
import { sql } from "drizzle-orm";
import type { Env } from "../env.ts";
import { withJobsDatabase } from "../platform/database.ts";
import { safeError } from "../platform/log-safe.ts";
import { webhookHeaders } from "../webhooks/signing.ts";
import { type AlertRule, runbookUrl } from "./rules.ts";

export const MAX_OPS_ATTEMPTS = 8;
const LEASE_SECONDS = 120;
const BATCH = 20;

interface Claimed {
  id: string;
  kind: "opened" | "resolved";
  attempts: number;
  created_at: string;
  incident_id: string;
  rule: AlertRule;
  key: string;
  opened_at: string;
  resolved_at: string | null;
  details: Record<string, unknown>;
}

export const opsWebhookConfigured = (env: Env) => Boolean(env.OPS_WEBHOOK_URL && env.OPS_WEBHOOK_SECRET);

const iso = (value: string | null) => (value === null ? null : new Date(value).toISOString());

/** The message body: one JSON object, `type` alert.opened or alert.resolved. */
export function opsPayload(row: Claimed): string {
  return JSON.stringify({
    type: `alert.${row.kind}`,
    timestamp: iso(row.created_at),
    data: {
      incident_id: row.incident_id,
      rule: row.rule,
      key: row.key,
      summary: row.details.summary ?? null,
      details: row.details,
      opened_at: iso(row.opened_at),
      resolved_at: iso(row.resolved_at),
      runbook: runbookUrl(row.rule),
    },
  });
}

/** Sends the due ops webhook messages; returns how many were delivered and failed. */
export async function deliverOpsWebhooks(env: Env): Promise<{ delivered: number; failed: number }> {
  const url = env.OPS_WEBHOOK_URL;
  const secret = env.OPS_WEBHOOK_SECRET;
  if (!url || !secret) return { delivered: 0, failed: 0 };
  const claimed = await withJobsDatabase(env, async (db) => {
    const result = await db.execute(sql`
      UPDATE alert_deliveries d
         SET attempts = d.attempts + 1, next_attempt_at = now() + make_interval(secs => ${LEASE_SECONDS})
        FROM alert_incidents i
       WHERE i.id = d.incident_id AND d.id IN (
             SELECT id FROM alert_deliveries WHERE status = 'pending' AND next_attempt_at <= now()
              ORDER BY created_at LIMIT ${BATCH} FOR UPDATE SKIP LOCKED)
      RETURNING d.id, d.kind, d.attempts, d.created_at, d.incident_id, i.rule, i.key, i.opened_at,
                i.resolved_at, i.details`);
    return result.rows as unknown as Claimed[];
  });
  if (claimed.length === 0) return { delivered: 0, failed: 0 };
  const outcomes = await Promise.all(
    claimed.map(async (row) => {
      const body = opsPayload(row);
      try {
        const headers = await webhookHeaders([secret], row.id, Math.floor(Date.now() / 1000), body);
        const response = await fetch(url, { method: "POST", headers, body, signal: AbortSignal.timeout(10_000) });
        await response.body?.cancel();
        return { row, status: response.status, error: response.ok ? null : `HTTP ${response.status}` };
      } catch (error) {
        return { row, status: null, error: safeError(error) };
      }
    }),
  );
  await withJobsDatabase(env, async (db) => {
    for (const { row, status, error } of outcomes) {
      const next = error === null ? "succeeded" : row.attempts >= MAX_OPS_ATTEMPTS ? "dead" : ("pending" as const);
      const backoff = Math.min(60 * 2 ** (row.attempts - 1), 3600);
      await db.execute(sql`
        UPDATE alert_deliveries
           SET status = ${next}, last_status = ${status}, last_error = ${error === null ? null : error.slice(0, 1000)},
               next_attempt_at = CASE WHEN ${next} = 'pending' THEN now() + make_interval(secs => ${backoff}) ELSE next_attempt_at END
         WHERE id = ${row.id}`);
    }
  });
  const failed = outcomes.filter((o) => o.error !== null).length;
  for (const o of outcomes) if (o.error) console.error(`ops webhook ${o.row.id} failed: ${o.error}`);
  return { delivered: outcomes.length - failed, failed };
}
