// Billing: the customer's preview of a month (same SQL function as the run), and staff running
// or inspecting billing runs by hand. Staff runs go through the SECURITY DEFINER run functions
// with the staff member's signed context; the request role never holds the jobs credentials.
import { OpenAPIHono } from "@hono/zod-openapi";
import type { AppEnv } from "../http/context.ts";
import { idParam, pageSchema, paginationQuerySchema, pageOf } from "../http/pagination.ts";
import { invalidField, notFound, problemResponses } from "../http/problem.ts";
import { secured } from "../http/routes.ts";
import { tenantContextOf } from "../auth/principal.ts";
import { readAs, writeAs } from "../http/transactions.ts";
import { billingDetailsRoutes } from "./details-routes.ts";
import { monthOf, monthParam } from "./periods.ts";
import { priceCustomerPeriod } from "./pricing.ts";
import { continueBillingRun, listBillingRuns, startBillingRun, type Transact } from "./runs.ts";
import {
  billingRunSchema,
  createRunBodySchema,
  previewQuerySchema,
  previewSchema,
  toBillingRun,
  toPreview,
} from "./schemas.ts";

const previewRoute = secured("billing:read", {
  method: "get",
  path: "/v1/billing/preview",
  operationId: "previewBilling",
  tags: ["billing"],
  summary: "Preview your invoice for a month (the current month so far by default)",
  description:
    "Computed by the same SQL function the monthly run uses to issue invoices: tier base, usage at the rate card in force " +
    "on the month's first day, adjustments for late usage of already-invoiced months, the volume discount band, tax at your " +
    "rate, each line rounded half-up to the cent. For a closed month it equals that month's invoice.",
  request: { query: previewQuerySchema },
  responses: {
    200: { description: "The priced month", content: { "application/json": { schema: previewSchema } } },
    ...problemResponses(400, 401, 403, 429),
  },
});

const createRunRoute = secured("super_admin", {
  method: "post",
  path: "/v1/admin/billing-runs",
  operationId: "createBillingRun",
  tags: ["billing"],
  summary: "Run (or dry-run) billing for a closed month (SecureBase staff)",
  description:
    "Invoices every active customer that has no invoice for the month yet, in batches; safe to repeat (a customer-month " +
    "is invoiced at most once, enforced by the database) and the way to finish a run that stopped. `dry_run` prices the " +
    "same customers and records the totals without issuing anything.",
  request: { body: { content: { "application/json": { schema: createRunBodySchema } }, required: true } },
  responses: {
    201: { description: "The finished run", content: { "application/json": { schema: billingRunSchema } } },
    ...problemResponses(400, 401, 403, 422, 429),
  },
});

const listRunsRoute = secured("super_admin", {
  method: "get",
  path: "/v1/admin/billing-runs",
  operationId: "listBillingRuns",
  tags: ["billing"],
  summary: "List billing runs, newest first (SecureBase staff)",
  description:
    "Every run, from the monthly cron or by hand, with its counts, total and the customers it could not invoice.",
  request: { query: paginationQuerySchema },
  responses: {
    200: {
      description: "A page of runs",
      content: { "application/json": { schema: pageSchema(billingRunSchema, "BillingRunList") } },
    },
    ...problemResponses(400, 401, 403, 429),
  },
});

const getRunRoute = secured("super_admin", {
  method: "get",
  path: "/v1/admin/billing-runs/{id}",
  operationId: "getBillingRun",
  tags: ["billing"],
  summary: "Retrieve a billing run (SecureBase staff)",
  description: "One run with its counts, total, status and per-customer errors.",
  request: { params: idParam },
  responses: {
    200: { description: "The run", content: { "application/json": { schema: billingRunSchema } } },
    ...problemResponses(400, 401, 403, 404, 429),
  },
});

export const billingRoutes = new OpenAPIHono<AppEnv>()
  .openapi(previewRoute, async (c) => {
    const { period } = c.req.valid("query");
    const periodStart = period ? monthParam(period) : monthOf(new Date());
    const { customerId } = c.var.principal;
    const priced = await readAs(c, (db) => priceCustomerPeriod(db, customerId, periodStart));
    return c.json(toPreview(priced), 200);
  })
  .openapi(createRunRoute, async (c) => {
    const body = c.req.valid("json");
    const periodStart = monthParam(body.period);
    if (periodStart >= monthOf(new Date()))
      throw invalidField("period", "not_closed", "must be a month that has ended");
    const principal = c.var.principal;
    const requestedBy = principal.userId ? `user:${principal.userId}` : `api_key:${principal.keyId}`;
    const run = await writeAs(c, async (db, audit) => {
      const started = await startBillingRun(db, { periodStart, dryRun: body.dry_run, trigger: "manual", requestedBy });
      await audit({
        action: "billing_run.started",
        resourceType: "billing_run",
        resourceId: started.id,
        summary: `${body.dry_run ? "Dry billing run" : "Billing run"} for ${body.period} started by SecureBase staff`,
        data: { period_start: periodStart, dry_run: body.dry_run },
      });
      return started;
    });
    const transact: Transact = (work) => c.var.db.tenant(tenantContextOf(principal), "write", work);
    const finished = await continueBillingRun(transact, run, body.batch_size);
    c.header("location", `/v1/admin/billing-runs/${run.id}`);
    return c.json(toBillingRun(finished), 201);
  })
  .openapi(listRunsRoute, async (c) => {
    const query = c.req.valid("query");
    const rows = await readAs(c, (db) =>
      listBillingRuns(db, { limit: query.limit + 1, startingAfter: query.starting_after }),
    );
    return c.json(pageOf(rows, query.limit, toBillingRun), 200);
  })
  .openapi(getRunRoute, async (c) => {
    const { id } = c.req.valid("param");
    const [run] = await readAs(c, (db) => listBillingRuns(db, { limit: 1, id }));
    if (!run) throw notFound("billing run", id);
    return c.json(toBillingRun(run), 200);
  })
  .route("/", billingDetailsRoutes);
