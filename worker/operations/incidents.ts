// Alert incidents as staff see them (GET /v1/admin/alerts, the acknowledge answer): the schema and
// the mapping from app.platform_alerts() / app.acknowledge_alert() rows (migrations 0180, 0250).
import { z } from "@hono/zod-openapi";
import { sql } from "drizzle-orm";
import type { Database } from "../platform/database.ts";
import { ALERT_RULES, type AlertRule, runbookUrl } from "./rules.ts";

const timestamp = z.string().datetime({ offset: true });

export const ALERT_STATES = ["open", "acknowledged", "resolved"] as const;

export const incidentSchema = z
  .object({
    object: z.literal("alert_incident"),
    id: z.string().uuid().openapi({ example: "01938f6e-8c2a-7d11-9b7e-2f4c1a0d9e55" }),
    rule: z.enum(ALERT_RULES).openapi({ example: "cron_job_failed" }),
    key: z.string().openapi({ description: "What the rule found wrong (a job, a ticket id…)", example: "daily-cost" }),
    state: z.enum(ALERT_STATES).openapi({
      description: "open: nobody has taken it yet; acknowledged: open, and a staff member has it; resolved: cleared",
      example: "open",
    }),
    summary: z.string().openapi({ example: "Cron job daily-cost failed (run started 2026-11-23T00:30:00.000Z)" }),
    opened_at: timestamp.openapi({ example: "2026-11-23T00:31:00.000Z" }),
    last_seen_at: timestamp.openapi({ example: "2026-11-23T00:45:00.000Z" }),
    resolved_at: timestamp.nullable().openapi({ example: null }),
    acknowledged_at: timestamp.nullable().openapi({ example: null }),
    acknowledged_by: z.string().uuid().nullable().openapi({ description: "The staff user who acknowledged it" }),
    acknowledge_note: z.string().nullable().openapi({ example: null }),
    runbook: z.string().openapi({ example: "docs/runbooks.md#alert-cron_job_failed" }),
    details: z.record(z.string(), z.unknown()).openapi({ description: "The rule's figures when last seen" }),
  })
  .openapi("AlertIncident");

/** An alert_incidents row as the SQL functions answer it (to_jsonb). */
export interface IncidentJson {
  id: string;
  rule: AlertRule;
  key: string;
  opened_at: string;
  last_seen_at: string;
  resolved_at: string | null;
  details: Record<string, unknown>;
  acknowledged_at: string | null;
  acknowledged_by: string | null;
  acknowledge_note: string | null;
}

export async function listIncidents(db: Database, state: string, limit: number): Promise<IncidentJson[]> {
  const result = await db.execute<{ incidents: IncidentJson[] }>(
    sql`SELECT app.platform_alerts(${state}, ${limit}::integer) AS incidents`,
  );
  return result.rows[0]!.incidents;
}

const iso = (value: string) => new Date(value).toISOString();
const isoOrNull = (value: string | null) => (value === null ? null : iso(value));

export function incidentJson(i: IncidentJson): z.infer<typeof incidentSchema> {
  const state = i.resolved_at !== null ? "resolved" : i.acknowledged_at !== null ? "acknowledged" : "open";
  return {
    object: "alert_incident",
    id: i.id,
    rule: i.rule,
    key: i.key,
    state,
    summary: String(i.details.summary ?? ""),
    opened_at: iso(i.opened_at),
    last_seen_at: iso(i.last_seen_at),
    resolved_at: isoOrNull(i.resolved_at),
    acknowledged_at: isoOrNull(i.acknowledged_at),
    acknowledged_by: i.acknowledged_by,
    acknowledge_note: i.acknowledge_note,
    runbook: runbookUrl(i.rule),
    details: i.details,
  };
}
