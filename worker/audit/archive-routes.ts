// Export and verification of a period of the audit trail across the hot table and the R2 archive
// (docs/audit-retention.md). Both need `audit:read` and read only the caller's customer: the
// manifest and hot rows through its RLS-bound transaction, the objects by the manifest's keys.
import { OpenAPIHono, z } from "@hono/zod-openapi";
import { tenantContextOf } from "../auth/principal.ts";
import type { AppContext, AppEnv } from "../http/context.ts";
import { ProblemError, problemResponses } from "../http/problem.ts";
import { secured } from "../http/routes.ts";
import { readAs } from "../http/transactions.ts";
import { RequestDatabase } from "../platform/database.ts";
import { recordsBucket } from "../platform/records-store.ts";
import { customerJurisdiction } from "./archive.ts";
import { exportFormats, exportStream, periodEvents, verifyPeriod } from "./archive-read.ts";

const time = (example: string, description: string) =>
  z.string().datetime({ offset: true }).openapi({ example, description });

const periodSchema = z.strictObject({
  from: time("2026-01-01T00:00:00Z", "Start of the period, inclusive (ISO 8601)"),
  to: time("2026-04-01T00:00:00Z", "End of the period, exclusive (ISO 8601)"),
});

const periodVerificationSchema = z
  .object({
    valid: z.boolean().openapi({ example: true }),
    checked: z.number().int().openapi({ description: "Events checked in the period", example: 1280 }),
    archived_checked: z.number().int().openapi({ description: "Of those, read from the archive", example: 1100 }),
    first_broken: z
      .object({
        seq: z.number().int().openapi({ example: 17 }),
        id: z.string().uuid().nullable().openapi({ description: "Null when a whole archive object is missing" }),
        archived: z.boolean().openapi({ description: "Whether the event was read from the archive", example: true }),
        reason: z.string().openapi({ example: "hash does not match the event content" }),
      })
      .nullable()
      .openapi({ description: "The first event whose link is broken; null when the period verifies" }),
  })
  .openapi("AuditPeriodVerification");

const exportRoute = secured("audit:read", {
  method: "get",
  path: "/v1/audit-events/export",
  operationId: "exportAuditEvents",
  tags: ["audit"],
  summary: "Export the audit events of a period, hot and archived, in chain order",
  description:
    "Streams every audit event that occurred in [from, to) as JSON Lines (one AuditEvent per line, with " +
    "`archived`) or CSV (with a header row; `data` is the stored JSON text, so hashes can be recomputed).",
  request: {
    query: z.object({
      from: time("2026-01-01T00:00:00Z", "Start of the period, inclusive (ISO 8601)").openapi({
        param: { name: "from", in: "query" },
      }),
      to: time("2026-04-01T00:00:00Z", "End of the period, exclusive (ISO 8601)").openapi({
        param: { name: "to", in: "query" },
      }),
      format: z
        .enum(exportFormats)
        .default("jsonl")
        .openapi({ param: { name: "format", in: "query" }, example: "jsonl" }),
    }),
  },
  responses: {
    200: {
      description: "The events, streamed",
      content: {
        "application/jsonl": { schema: z.string().openapi({ description: "One AuditEvent JSON object per line" }) },
        "text/csv": { schema: z.string().openapi({ description: "CSV with a header row" }) },
      },
    },
    ...problemResponses(400, 401, 403, 429),
  },
});

const verifyPeriodRoute = secured("audit:read", {
  method: "post",
  path: "/v1/audit-events/verify",
  operationId: "verifyAuditPeriod",
  tags: ["audit"],
  summary: "Verify the audit hash chain over a period, across the archive and the hot table",
  description:
    "Recomputes every event's hash in [from, to), its link to the previous event and to the archive " +
    "manifest, and names the first event that does not match and whether it was archived.",
  request: { body: { content: { "application/json": { schema: periodSchema } }, required: true } },
  responses: {
    200: {
      description: "The verdict; a broken chain is not an error",
      content: { "application/json": { schema: periodVerificationSchema } },
    },
    ...problemResponses(400, 401, 403, 429),
  },
});

function period(where: "query" | "body", from: string, to: string): { from: Date; to: Date } {
  const range = { from: new Date(from), to: new Date(to) };
  if (range.to <= range.from)
    throw new ProblemError(400, "validation-error", "Validation failed", `${where}.to must be after ${where}.from.`, {
      errors: [{ field: `${where}.to`, code: "invalid_range", message: "must be after from" }],
    });
  return range;
}

async function bucketOf(c: AppContext): Promise<R2Bucket> {
  const jurisdiction = await readAs(c, (db) => customerJurisdiction(db, c.var.principal.customerId));
  return recordsBucket(c.env, jurisdiction);
}

export const auditArchiveRoutes = new OpenAPIHono<AppEnv>()
  .openapi(exportRoute, async (c) => {
    const query = c.req.valid("query");
    const { from, to } = period("query", query.from, query.to);
    const bucket = await bucketOf(c);
    // The stream outlives the handler: it reads on its own connection, closed when it ends.
    const db = new RequestDatabase(c.env);
    const context = tenantContextOf(c.var.principal);
    const items = periodEvents(
      (work) => db.tenant(context, "read", work),
      bucket,
      c.var.principal.customerId,
      from,
      to,
    );
    const body = exportStream(items, query.format, () => db.close());
    const type = query.format === "csv" ? "text/csv; charset=utf-8" : "application/jsonl; charset=utf-8";
    const name = `audit-events-${query.from.slice(0, 10)}-${query.to.slice(0, 10)}.${query.format}`;
    return c.body(body, 200, { "content-type": type, "content-disposition": `attachment; filename="${name}"` });
  })
  .openapi(verifyPeriodRoute, async (c) => {
    const body = c.req.valid("json");
    const { from, to } = period("body", body.from, body.to);
    const bucket = await bucketOf(c);
    const items = periodEvents((work) => readAs(c, work), bucket, c.var.principal.customerId, from, to);
    return c.json(await verifyPeriod(items), 200);
  });
