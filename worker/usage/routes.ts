// Usage: platform-only ingest of billable usage (SecureBase staff / collectors), and the
// customer's own totals and metrics. Customer credentials can never create billable usage:
// there is no `usage:write` permission; ingest is `super_admin` or a platform key with
// `usage:ingest` (docs/auth.md, "Platform keys"), and runs through app.ingest_usage, which the
// request role may only call with a staff context.
import { OpenAPIHono } from "@hono/zod-openapi";
import type { AppEnv } from "../http/context.ts";
import { addMonths, monthOf, monthParam } from "../billing/periods.ts";
import { ProblemError, problemResponses } from "../http/problem.ts";
import { secured } from "../http/routes.ts";
import { actorOf, tenantContextOf } from "../auth/principal.ts";
import { readAs, writeAs } from "../http/transactions.ts";
import { ingestUsage, metricsForMonth, usageTotals } from "./usage.ts";
import {
  ingestBodySchema,
  ingestResultSchema,
  metricsSchema,
  monthQuerySchema,
  usageListSchema,
  usageQuerySchema,
} from "./schemas.ts";

const MAX_DAYS = 366;
const MAX_MONTHS = 60;

const ingestRoute = secured(
  "super_admin",
  {
    method: "post",
    path: "/v1/admin/usage",
    operationId: "createUsageEvents",
    tags: ["usage"],
    summary: "Report billable usage for any customer (SecureBase staff and collectors)",
    description:
      "Up to 1,000 events per batch, all or nothing: an unknown metric, customer or account, a negative or non-decimal " +
      "quantity, an `occurred_at` more than 5 minutes ahead or before the look-back window is a 422 naming " +
      "`body.events.N.field`, and nothing of the batch is written. Idempotent forever by `(customer_id, event_id)`: each " +
      "event comes back `accepted`, `duplicate` (same payload as stored) or `conflict` (same id, different payload; the " +
      "stored event is kept). Accepted events are added to the daily and monthly totals of the day they occurred (UTC). " +
      "Takes a staff session or a platform key (`sb_platform_…`) with the `usage:ingest` scope; customer credentials get 403.",
    request: { body: { content: { "application/json": { schema: ingestBodySchema } }, required: true } },
    responses: {
      200: {
        description: "What happened to each event",
        content: { "application/json": { schema: ingestResultSchema } },
      },
      ...problemResponses(400, 401, 403, 422, 429),
    },
  },
  { body: "bulk", platformScope: "usage:ingest" },
);

const usageRoute = secured("usage:read", {
  method: "get",
  path: "/v1/usage",
  operationId: "listUsage",
  tags: ["usage"],
  summary: "Your usage totals per metric, by day or by month",
  description: `Totals for days (or months) in [from, to), UTC. At most ${MAX_DAYS} days or ${MAX_MONTHS} months per request.`,
  request: { query: usageQuerySchema },
  responses: {
    200: { description: "Totals, oldest first", content: { "application/json": { schema: usageListSchema } } },
    ...problemResponses(400, 401, 403, 429),
  },
});

const metricsRoute = secured("metrics:read", {
  method: "get",
  path: "/v1/metrics",
  operationId: "listMetrics",
  tags: ["usage"],
  summary: "Your metrics for a month, with what each costs so far",
  description:
    "Every rate-card metric in force for the month, your quantity, and its cost in the month's billing preview " +
    "(the same calculation as the invoice, before discount and tax).",
  request: { query: monthQuerySchema },
  responses: {
    200: { description: "The month's metrics", content: { "application/json": { schema: metricsSchema } } },
    ...problemResponses(400, 401, 403, 429),
  },
});

const badQuery = (field: string, message: string) =>
  new ProblemError(400, "validation-error", "Validation failed", `query.${field} ${message}.`, {
    errors: [{ field: `query.${field}`, code: "invalid_value", message }],
  });

export const usageRoutes = new OpenAPIHono<AppEnv>()
  .openapi(ingestRoute, async (c) => {
    const { events } = c.req.valid("json");
    const principal = c.var.principal;
    // A platform key was checked for `usage:ingest` by the Worker; app.ingest_usage takes a staff
    // context, so the key's writes run under one (its home customer files the audit event).
    const as =
      principal.kind === "platform_key"
        ? { context: { ...tenantContextOf(principal), superAdmin: true }, actor: actorOf(principal) }
        : undefined;
    const results = await writeAs(
      c,
      async (db, audit) => {
        const outcome = await ingestUsage(db, events);
        if (!outcome.ok) {
          throw new ProblemError(
            422,
            "validation-error",
            "Validation failed",
            "One or more events are invalid; nothing was written. See `errors`.",
            {
              errors: outcome.errors,
            },
          );
        }
        const count = (status: string) => outcome.results.filter((r) => r.status === status).length;
        await audit({
          action: "usage.ingested",
          resourceType: "usage_batch",
          summary: `Usage batch of ${events.length} event(s): ${count("accepted")} accepted, ${count("duplicate")} duplicate, ${count("conflict")} conflict`,
          data: {
            accepted: count("accepted"),
            duplicates: count("duplicate"),
            conflicts: count("conflict"),
            customers: [...new Set(events.map((e) => e.customer_id))].length,
          },
        });
        return outcome.results;
      },
      as,
    );
    const data = results.map((r) => ({
      index: r.index,
      event_id: events[r.index]!.event_id,
      customer_id: events[r.index]!.customer_id,
      status: r.status,
    }));
    const count = (status: string) => data.filter((r) => r.status === status).length;
    return c.json(
      {
        object: "usage_ingest_result" as const,
        accepted: count("accepted"),
        duplicates: count("duplicate"),
        conflicts: count("conflict"),
        data,
      },
      200,
    );
  })
  .openapi(usageRoute, async (c) => {
    const query = c.req.valid("query");
    const from = query.from ?? monthOf(new Date());
    const to = query.to ?? addMonths(monthOf(new Date(`${from}T00:00:00Z`)), 1);
    const days = (Date.parse(to) - Date.parse(from)) / 86_400_000;
    if (days <= 0) throw badQuery("to", "must be after `from`");
    if (query.granularity === "day" && days > MAX_DAYS)
      throw badQuery("to", `must be at most ${MAX_DAYS} days after \`from\``);
    if (query.granularity === "month" && days > MAX_MONTHS * 31)
      throw badQuery("to", `must be at most ${MAX_MONTHS} months after \`from\``);
    const { customerId } = c.var.principal;
    const rows = await readAs(c, (db) => usageTotals(db, customerId, { from, to, granularity: query.granularity }));
    return c.json(
      {
        object: "list" as const,
        granularity: query.granularity,
        from,
        to,
        data: rows.map((r) => ({
          metric: r.metric,
          period_start: r.periodStart,
          quantity: r.quantity,
          events: r.events,
        })),
      },
      200,
    );
  })
  .openapi(metricsRoute, async (c) => {
    const { period } = c.req.valid("query");
    const periodStart = period ? monthParam(period) : monthOf(new Date());
    const { customerId } = c.var.principal;
    const metrics = await readAs(c, (db) => metricsForMonth(db, customerId, periodStart));
    return c.json(
      {
        object: "list" as const,
        period_start: periodStart,
        period_end: addMonths(periodStart, 1),
        currency: "usd" as const,
        data: metrics.map((m) => ({
          metric: m.metric,
          description: m.description,
          unit: m.unit,
          unit_amount_micros: m.unitAmountMicros,
          quantity: m.quantity,
          events: m.events,
          preview_cost_cents: m.previewCostCents,
        })),
      },
      200,
    );
  });
