// GET /v1/analytics/reports/{usage|cost|sla|api-keys}: one report over a period, as JSON or as
// CSV (`?format=csv`, or `Accept: text/csv` without a format). Reports run on the read-only
// analytics role when ANALYTICS_DATABASE_URL is configured.
import { OpenAPIHono, z } from "@hono/zod-openapi";
import type { AppContext, AppEnv } from "../http/context.ts";
import { ProblemError, problemResponses } from "../http/problem.ts";
import { secured } from "../http/routes.ts";
import { readAsAnalytics } from "../http/transactions.ts";
import { toCsv, type CsvCell } from "./csv.ts";
import { apiKeyReport, costReport, slaReport, usageReport, type Period, type Report } from "./reports.ts";

/** Up to about three years per report: a year of daily usage is the portal's largest ask. */
export const MAX_PERIOD_DAYS = 1_100;

const periodQuery = {
  from: z
    .string()
    .date()
    .optional()
    .openapi({
      param: { name: "from", in: "query" },
      description: "First day (UTC), inclusive; default: the first day of the month a year ago",
      example: "2026-01-01",
    }),
  to: z
    .string()
    .date()
    .optional()
    .openapi({
      param: { name: "to", in: "query" },
      description: "Last day (UTC), exclusive; default: tomorrow (today included)",
      example: "2026-12-01",
    }),
  format: z
    .enum(["json", "csv"])
    .optional()
    .openapi({
      param: { name: "format", in: "query" },
      description: "`csv` or `json`; without it, `Accept: text/csv` selects CSV",
    }),
};
const granularityQuery = {
  granularity: z
    .enum(["day", "month"])
    .default("day")
    .openapi({ param: { name: "granularity", in: "query" }, description: "Rows per day or per month", example: "day" }),
};

const nullableString = z.string().nullable();
const rowSchemas = {
  usage: z.object({
    period: z.string().date().openapi({ description: "The day, or the month's first day" }),
    metric: z.string().openapi({ example: "nat_processing_gb" }),
    quantity: z.string().openapi({ description: "Decimal string, exact", example: "1250.500000" }),
    events: z.number().int(),
  }),
  cost: z.object({
    month: z.string().date(),
    invoice_number: z.string(),
    invoice_status: z.string(),
    component: z.string().openapi({ description: "base, usage, discount or tax", example: "usage" }),
    description: z.string(),
    quantity: z.string(),
    unit: nullableString,
    amount_cents: z.number().int(),
  }),
  sla: z.object({
    priority: z.enum(["critical", "high", "medium", "low"]),
    tickets: z.number().int(),
    first_response_met: z.number().int(),
    first_response_breached: z.number().int(),
    first_response_pending: z.number().int(),
    resolution_met: z.number().int(),
    resolution_breached: z.number().int(),
    resolution_pending: z.number().int(),
    resolution_compliance_percent: z
      .number()
      .nullable()
      .openapi({ description: "met / (met + breached) × 100; null when nothing is decided yet" }),
  }),
  "api-keys": z.object({
    id: z.string().uuid(),
    name: z.string(),
    prefix: z.string(),
    mode: z.enum(["live", "test"]),
    status: z.enum(["active", "revoked", "expired"]),
    created_at: z.string().datetime(),
    last_used_at: z.string().datetime().nullable().openapi({ description: "Accurate to about 5 minutes" }),
    audited_changes: z
      .number()
      .int()
      .openapi({ description: "Audit events the key caused in the period (changes; reads are not counted)" }),
  }),
} as const;
type ReportKind = keyof typeof rowSchemas;

const titles: Record<ReportKind, { operationId: string; name: string; summary: string; description: string }> = {
  usage: {
    operationId: "getUsageReport",
    name: "UsageReport",
    summary: "Usage per metric per day or month",
    description:
      "Metered usage per metric per day (`granularity=day`) or month, exact decimal quantities and event counts.",
  },
  cost: {
    operationId: "getCostReport",
    name: "CostReport",
    summary: "Invoiced cost per month and component",
    description:
      "Every line of every non-void invoice whose period starts in the period: base, usage, discount and tax, in integer cents.",
  },
  sla: {
    operationId: "getSlaReport",
    name: "SlaReport",
    summary: "Support tickets within and outside their SLA, per priority",
    description:
      "Tickets opened in the period per priority: first response and resolution met, breached (late, or undone past due) and pending, with resolution compliance.",
  },
  "api-keys": {
    operationId: "getApiKeyReport",
    name: "ApiKeyReport",
    summary: "API keys with their last use and the changes they made",
    description:
      "Every key that existed in the period: status, last use (accurate to about 5 minutes) and the audited changes it made in the period.",
  },
};

function reportRoute<K extends ReportKind>(kind: K) {
  const t = titles[kind];
  const query = z.object(kind === "usage" ? { ...periodQuery, ...granularityQuery } : periodQuery);
  const body = z
    .object({
      object: z.literal("report"),
      kind: z.literal(kind),
      period: z.object({ from: z.string().date(), to: z.string().date().openapi({ description: "Exclusive" }) }),
      columns: z.array(z.string()).openapi({ description: "The CSV header, in order" }),
      rows: z.array(rowSchemas[kind]),
    })
    .openapi(t.name);
  return secured("reports:read", {
    method: "get",
    path: `/v1/analytics/reports/${kind}`,
    operationId: t.operationId,
    tags: ["analytics"],
    summary: t.summary,
    description: `${t.description} JSON, or RFC 4180 CSV with a header row (\`?format=csv\` or \`Accept: text/csv\`); text cells a spreadsheet would run as a formula are prefixed with \`'\`.`,
    request: { query },
    responses: {
      200: {
        description: "The report",
        content: {
          "application/json": { schema: body },
          "text/csv": { schema: z.string().openapi({ example: "period,metric,quantity,events\r\n" }) },
        },
      },
      ...problemResponses(400, 401, 403),
    },
  });
}

const DAY_MS = 86_400_000;
const isoDay = (d: Date) => d.toISOString().slice(0, 10);

/** The period asked for, with defaults, or a 400 naming the parameter. */
function periodOf(query: { from?: string; to?: string }, now = new Date()): Period {
  const to = query.to ?? isoDay(new Date(now.getTime() + DAY_MS));
  const from = query.from ?? isoDay(new Date(Date.UTC(now.getUTCFullYear() - 1, now.getUTCMonth(), 1)));
  const bad = (field: "from" | "to", message: string) =>
    new ProblemError(400, "validation-error", "Validation failed", `query.${field} ${message}.`, {
      errors: [{ field: `query.${field}`, code: "invalid_period", message }],
    });
  if (from >= to) throw bad(query.to ? "to" : "from", "must be after from (the period is [from, to))");
  if ((Date.parse(to) - Date.parse(from)) / DAY_MS > MAX_PERIOD_DAYS)
    throw bad("to", `must be at most ${MAX_PERIOD_DAYS} days after from`);
  return { from, to };
}

function wantsCsv(c: AppContext, format: "json" | "csv" | undefined): boolean {
  if (format) return format === "csv";
  const accept = c.req.header("accept") ?? "";
  return /(^|,)\s*text\/csv\s*(;|,|$)/i.test(accept);
}

function respond<R extends Record<string, CsvCell>>(
  c: AppContext,
  kind: ReportKind,
  period: Period,
  format: "json" | "csv" | undefined,
  report: Report<R>,
) {
  if (wantsCsv(c, format)) {
    return c.body(toCsv(report.columns, report.rows), 200, {
      "content-type": "text/csv; charset=utf-8; header=present",
      "content-disposition": `attachment; filename="${kind}-${period.from}-${period.to}.csv"`,
      "x-content-type-options": "nosniff",
      "cache-control": "private, no-store",
    });
  }
  return c.json({ object: "report" as const, kind, period, columns: report.columns, rows: report.rows }, 200);
}

export const analyticsRoutes = new OpenAPIHono<AppEnv>()
  .openapi(reportRoute("usage"), async (c) => {
    const query = c.req.valid("query") as {
      from?: string;
      to?: string;
      format?: "json" | "csv";
      granularity: "day" | "month";
    };
    const period = periodOf(query);
    const report = await readAsAnalytics(c, (db) =>
      usageReport(db, c.var.principal.customerId, period, query.granularity),
    );
    return respond(c, "usage", period, query.format, report);
  })
  .openapi(reportRoute("cost"), async (c) => {
    const query = c.req.valid("query");
    const period = periodOf(query);
    const report = await readAsAnalytics(c, (db) => costReport(db, c.var.principal.customerId, period));
    return respond(c, "cost", period, query.format, report);
  })
  .openapi(reportRoute("sla"), async (c) => {
    const query = c.req.valid("query");
    const period = periodOf(query);
    const report = await readAsAnalytics(c, (db) => slaReport(db, c.var.principal.customerId, period));
    return respond(c, "sla", period, query.format, report);
  })
  .openapi(reportRoute("api-keys"), async (c) => {
    const query = c.req.valid("query");
    const period = periodOf(query);
    const report = await readAsAnalytics(c, (db) => apiKeyReport(db, c.var.principal.customerId, period));
    return respond(c, "api-keys", period, query.format, report);
  });
