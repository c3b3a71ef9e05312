// /v1/exports: a customer admin starts an export of all the customer's data (202), follows its
// status, and downloads its objects — through the Worker, to that customer only, for 24 hours
// (docs/exports-closure.md). Thin: validate, authorize, call ./exports.ts, shape.
import { OpenAPIHono, z } from "@hono/zod-openapi";
import { tenantContextOf } from "../auth/principal.ts";
import type { AppContext, AppEnv } from "../http/context.ts";
import type { ApiTag } from "../http/openapi-tags.ts";
import { idParam } from "../http/pagination.ts";
import { notFound, ProblemError, problemResponses } from "../http/problem.ts";
import { jsonResponse, secured } from "../http/routes.ts";
import { readAs } from "../http/transactions.ts";
import { recordsBucket, type DataJurisdiction } from "../platform/records-store.ts";
import { exportMessage } from "./export-queue.ts";
import { createExport, type ExportRow, getExport, objectKey } from "./exports.ts";

const tags: [ApiTag] = ["customer"];

const exportSchema = z
  .object({
    id: z.string().uuid(),
    object: z.literal("export"),
    status: z.enum(["pending", "running", "succeeded", "failed"]),
    data_jurisdiction: z.enum(["us", "eu", "fedramp"]),
    manifest: z.record(z.string(), z.unknown()).nullable().openapi({
      description: "When succeeded: `tables` maps every tenant table to its rows, bytes and SHA-256",
    }),
    download_url: z.string().url().nullable().openapi({
      description: "When succeeded and not expired: the manifest; each table's file is `?file=<table>.jsonl`",
    }),
    error: z.string().nullable(),
    created_at: z.string().datetime({ offset: true }),
    completed_at: z.string().datetime({ offset: true }).nullable(),
    expires_at: z.string().datetime({ offset: true }).nullable(),
  })
  .openapi("Export");

/** Only the customer's admins export its data (a user session with the admin role). */
function requireAdmin(c: AppContext): void {
  if (c.var.principal.role !== "admin") {
    throw new ProblemError(403, "forbidden", "Forbidden", "Only an admin of the customer can do this.");
  }
}

function toExport(c: AppContext, row: ExportRow): z.infer<typeof exportSchema> {
  const live = row.status === "succeeded" && row.expiresAt !== null && row.expiresAt.getTime() > Date.now();
  return {
    id: row.id,
    object: "export",
    status: row.status,
    data_jurisdiction: row.jurisdiction,
    manifest: row.manifest ?? null,
    download_url: live ? `${c.env.PUBLIC_API_URL.replace(/\/$/, "")}/v1/exports/${row.id}/download` : null,
    error: row.error,
    created_at: row.createdAt.toISOString(),
    completed_at: row.completedAt?.toISOString() ?? null,
    expires_at: row.expiresAt?.toISOString() ?? null,
  };
}

const createRoute = secured("users:write", {
  method: "post",
  path: "/v1/exports",
  operationId: "createExport",
  tags,
  summary: "Export all of your organization's data (admins)",
  description:
    "Starts an export of every row your organization owns, one JSON Lines file per table with a manifest of row " +
    "counts and SHA-256s, stored in your data jurisdiction. Admins are notified (in-app and email) when it is ready.",
  responses: {
    202: jsonResponse(exportSchema, "The export, started"),
    ...problemResponses(401, 403, 429),
  },
});

const getRoute = secured("users:write", {
  method: "get",
  path: "/v1/exports/{id}",
  operationId: "getExport",
  tags,
  summary: "An export's status, manifest and download link (admins)",
  description: "`download_url` is set once the export succeeded, for 24 hours.",
  request: { params: idParam },
  responses: {
    200: jsonResponse(exportSchema, "The export"),
    ...problemResponses(400, 401, 403, 404, 429),
  },
});

const fileSchema = z
  .string()
  .max(69)
  .regex(/^(manifest\.json|[a-z_][a-z0-9_]{0,62}\.jsonl)$/)
  .default("manifest.json")
  .openapi({ param: { name: "file", in: "query" }, example: "usage_events.jsonl" });

const downloadRoute = secured("users:write", {
  method: "get",
  path: "/v1/exports/{id}/download",
  operationId: "downloadExport",
  tags,
  summary: "Download an export's manifest or one table's file (admins, 24 hours)",
  description: "Served by the API to the exporting organization only; 410 once the 24 hours have passed.",
  request: { params: idParam, query: z.object({ file: fileSchema }) },
  responses: {
    200: {
      description: "The file",
      content: {
        "application/x-ndjson": { schema: z.string() },
        "application/json": { schema: z.record(z.string(), z.unknown()) },
      },
    },
    ...problemResponses(400, 401, 403, 404, 410, 429),
  },
});

export const exportRoutes = new OpenAPIHono<AppEnv>()
  .openapi(createRoute, async (c) => {
    requireAdmin(c);
    const context = tenantContextOf(c.var.principal);
    const row = await c.var.db.tenant(context, "write", (db) =>
      createExport(db, context.customerId, c.var.principal.userId),
    );
    // The work runs as queue messages, one slice each; if this send is lost, the minute sweep
    // queues the export after EXPORT_STALLED_MINUTES (./export-queue.ts).
    await c.env.EVENTS.send(exportMessage(row.id, row.step).body, { contentType: "json" }).catch((error: unknown) =>
      console.error(
        `queueing export ${row.id} failed; the sweep will: ${error instanceof Error ? error.message : String(error)}`,
      ),
    );
    c.header("location", `/v1/exports/${row.id}`);
    return c.json(toExport(c, row), 202);
  })
  .openapi(getRoute, async (c) => {
    requireAdmin(c);
    const { id } = c.req.valid("param");
    const row = await readAs(c, (db) => getExport(db, c.var.principal.customerId, id));
    if (!row) throw notFound("export", id);
    return c.json(toExport(c, row), 200);
  })
  .openapi(downloadRoute, async (c) => {
    requireAdmin(c);
    const { id } = c.req.valid("param");
    const { file } = c.req.valid("query");
    const customerId = c.var.principal.customerId;
    const row = await readAs(c, (db) => getExport(db, customerId, id));
    if (row?.status !== "succeeded") throw notFound("export", id);
    if (!row.expiresAt || row.expiresAt.getTime() <= Date.now()) {
      throw new ProblemError(410, "export-expired", "Export expired", `Export ${id} could be downloaded for 24 hours.`);
    }
    const object = await recordsBucket(c.env, row.jurisdiction as DataJurisdiction).get(
      objectKey(customerId, id, file),
    );
    if (!object) throw notFound("export file", file);
    return c.body(object.body, 200, {
      "content-type": file.endsWith(".json") ? "application/json" : "application/x-ndjson",
      "content-disposition": `attachment; filename="${file}"`,
      "cache-control": "no-store",
    }) as never;
  });
