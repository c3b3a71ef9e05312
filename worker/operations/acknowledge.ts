// Acknowledging an alert incident (docs/operations.md, "Alerts"; docs/runbooks.md): a staff
// member says "I have this". Through app.acknowledge_alert() (migration 0250), a staff-only
// definer owned by the jobs role, since the request role cannot write the platform table. The
// incident stays open until its rule clears, and the one resolve message still goes out then;
// the alert job sends nothing else while an incident is open, so there is no reminder to stop.
import { sql } from "drizzle-orm";
import type { Audit } from "../http/transactions.ts";
import { ProblemError, notFound } from "../http/problem.ts";
import type { Database } from "../platform/database.ts";
import type { IncidentJson } from "./incidents.ts";

type Outcome =
  | { outcome: "not_found" | "resolved" }
  | { outcome: "acknowledged" | "already_acknowledged"; incident: IncidentJson };

export async function acknowledgeIncident(
  db: Database,
  audit: Audit,
  id: string,
  note: string | null,
): Promise<IncidentJson> {
  const result = await db.execute<{ result: Outcome }>(
    sql`SELECT app.acknowledge_alert(${id}::uuid, ${note}) AS result`,
  );
  const answer = result.rows[0]!.result;
  switch (answer.outcome) {
    case "not_found":
      throw notFound("alert incident", id);
    case "resolved":
      throw new ProblemError(
        409,
        "alert-resolved",
        "Alert already resolved",
        `Alert incident ${id} is resolved; only an open incident can be acknowledged.`,
      );
    case "already_acknowledged":
      throw new ProblemError(
        409,
        "alert-already-acknowledged",
        "Alert already acknowledged",
        `Alert incident ${id} was acknowledged at ${new Date(answer.incident.acknowledged_at!).toISOString()}.`,
      );
  }
  const incident = answer.incident;
  await audit({
    action: "alert.acknowledged",
    resourceType: "alert_incident",
    resourceId: id,
    summary: `Alert ${incident.rule}:${incident.key} acknowledged by SecureBase staff`,
    data: { rule: incident.rule, key: incident.key, note },
  });
  return incident;
}
