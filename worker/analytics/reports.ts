// The four analytics reports, each one query on the caller's tenant transaction (the read-only
// sb_analytics role when configured: RLS-bound, 30 s statement timeout). Periods are half-open
// [from, to) in UTC days. Exact quantities stay decimal strings (numeric in SQL); money is cents.
import { sql } from "drizzle-orm";
import type { Database } from "../platform/database.ts";
import type { CsvCell } from "./csv.ts";

export interface Period {
  from: string;
  to: string;
}

export interface Report<R extends Record<string, CsvCell>> {
  columns: (keyof R & string)[];
  rows: R[];
}

export type UsageRow = { period: string; metric: string; quantity: string; events: number };
export type CostRow = {
  month: string;
  invoice_number: string;
  invoice_status: string;
  component: string;
  description: string;
  quantity: string;
  unit: string | null;
  amount_cents: number;
};
export type SlaRow = {
  priority: string;
  tickets: number;
  first_response_met: number;
  first_response_breached: number;
  first_response_pending: number;
  resolution_met: number;
  resolution_breached: number;
  resolution_pending: number;
  resolution_compliance_percent: number | null;
};
export type ApiKeyRow = {
  id: string;
  name: string;
  prefix: string;
  mode: string;
  status: string;
  created_at: string;
  last_used_at: string | null;
  audited_changes: number;
};

/** Usage per metric per day (usage_daily) or per month (usage_monthly). */
export async function usageReport(
  db: Database,
  customerId: string,
  period: Period,
  granularity: "day" | "month",
): Promise<Report<UsageRow>> {
  const { rows } = await db.execute<UsageRow>(
    granularity === "day"
      ? sql`SELECT day::text AS period, metric, quantity::text AS quantity, events FROM usage_daily
            WHERE customer_id = ${customerId} AND day >= ${period.from}::date AND day < ${period.to}::date
            ORDER BY day, metric`
      : sql`SELECT month::text AS period, metric, quantity::text AS quantity, events FROM usage_monthly
            WHERE customer_id = ${customerId} AND month >= date_trunc('month', ${period.from}::date) AND month < ${period.to}::date
            ORDER BY month, metric`,
  );
  return {
    columns: ["period", "metric", "quantity", "events"],
    rows: rows.map((r) => ({ ...r, events: Number(r.events) })),
  };
}

/** Invoiced cost per month and component (invoice line items of non-void invoices whose period starts in the period). */
export async function costReport(db: Database, customerId: string, period: Period): Promise<Report<CostRow>> {
  const { rows } = await db.execute<CostRow>(sql`
    SELECT i.period_start::text AS month, i.number AS invoice_number, i.status AS invoice_status, li.kind AS component,
           li.description, li.quantity::text AS quantity, li.unit, li.amount_cents
    FROM invoices i JOIN invoice_line_items li ON li.customer_id = i.customer_id AND li.invoice_id = i.id
    WHERE i.customer_id = ${customerId} AND i.status <> 'void'
      AND i.period_start >= date_trunc('month', ${period.from}::date) AND i.period_start < ${period.to}::date
    ORDER BY i.period_start, i.number, li.position NULLS LAST, li.id`);
  return {
    columns: [
      "month",
      "invoice_number",
      "invoice_status",
      "component",
      "description",
      "quantity",
      "unit",
      "amount_cents",
    ],
    rows: rows.map((r) => ({ ...r, amount_cents: Number(r.amount_cents) })),
  };
}

/**
 * Support tickets opened in the period, per priority (all four, zeros included): first response
 * and resolution met (done by the due time), breached (done late, or not done and past due), or
 * pending (not done, not yet due). Compliance = resolution met / (met + breached).
 */
export async function slaReport(db: Database, customerId: string, period: Period): Promise<Report<SlaRow>> {
  const { rows } = await db.execute<SlaRow>(sql`
    WITH t AS (
      SELECT priority, first_responded_at, first_response_due_at, resolution_due_at,
             coalesce(resolved_at, closed_at) AS done_at
      FROM support_tickets
      WHERE customer_id = ${customerId} AND created_at >= ${period.from}::date AND created_at < ${period.to}::date
    )
    SELECT p.priority,
           count(t.priority)::int AS tickets,
           count(*) FILTER (WHERE t.first_responded_at <= t.first_response_due_at)::int AS first_response_met,
           count(*) FILTER (WHERE coalesce(t.first_responded_at, now()) > t.first_response_due_at)::int AS first_response_breached,
           count(*) FILTER (WHERE t.first_responded_at IS NULL AND now() <= t.first_response_due_at)::int AS first_response_pending,
           count(*) FILTER (WHERE t.done_at <= t.resolution_due_at)::int AS resolution_met,
           count(*) FILTER (WHERE coalesce(t.done_at, now()) > t.resolution_due_at)::int AS resolution_breached,
           count(*) FILTER (WHERE t.done_at IS NULL AND now() <= t.resolution_due_at)::int AS resolution_pending
    FROM (VALUES (1, 'critical'), (2, 'high'), (3, 'medium'), (4, 'low')) AS p(rank, priority)
    LEFT JOIN t ON t.priority = p.priority
    GROUP BY p.rank, p.priority ORDER BY p.rank`);
  return {
    columns: [
      "priority",
      "tickets",
      "first_response_met",
      "first_response_breached",
      "first_response_pending",
      "resolution_met",
      "resolution_breached",
      "resolution_pending",
      "resolution_compliance_percent",
    ],
    rows: rows.map((r) => {
      const decided = r.resolution_met + r.resolution_breached;
      return {
        ...r,
        resolution_compliance_percent: decided === 0 ? null : Math.round((r.resolution_met * 1000) / decided) / 10,
      };
    }),
  };
}

/**
 * Every key that existed in the period: its status now, last use (accurate to about 5 minutes)
 * and the audited changes it made in the period. Individual requests are not recorded per key.
 */
export async function apiKeyReport(db: Database, customerId: string, period: Period): Promise<Report<ApiKeyRow>> {
  const { rows } = await db.execute<ApiKeyRow>(sql`
    SELECT k.id, k.name, k.prefix, k.mode,
           CASE WHEN k.revoked_at IS NOT NULL THEN 'revoked' WHEN k.expires_at <= now() THEN 'expired' ELSE 'active' END AS status,
           to_char(k.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS created_at,
           to_char(k.last_used_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS last_used_at,
           (SELECT count(*) FROM audit_events a
            WHERE a.customer_id = k.customer_id AND a.actor_type = 'api_key' AND a.actor_id = k.id::text
              AND a.occurred_at >= ${period.from}::date AND a.occurred_at < ${period.to}::date)::int AS audited_changes
    FROM api_keys k
    WHERE k.customer_id = ${customerId} AND k.created_at < ${period.to}::date
      AND (k.revoked_at IS NULL OR k.revoked_at >= ${period.from}::date)
    ORDER BY k.created_at, k.id`);
  return { columns: ["id", "name", "prefix", "mode", "status", "created_at", "last_used_at", "audited_changes"], rows };
}
