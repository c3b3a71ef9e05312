// /v1/customer: the organization reads itself (with its data jurisdiction) and its admin closes
// it with a typed confirmation; /v1/admin/customers/{id}/close: staff close a customer. Both run
// (or resume) the same closure (./closure.ts, docs/exports-closure.md).
import { OpenAPIHono, z } from "@hono/zod-openapi";
import { actorOf } from "../auth/principal.ts";
import type { AppEnv } from "../http/context.ts";
import type { ApiTag } from "../http/openapi-tags.ts";
import { idParam } from "../http/pagination.ts";
import { invalidField, notFound, ProblemError, problemResponses } from "../http/problem.ts";
import { jsonResponse, secured } from "../http/routes.ts";
import { readAs } from "../http/transactions.ts";
import { text } from "../http/input.ts";
import { getCustomer } from "../admin/customers.ts";
import { type ClosureRow, closureSteps, runClosure } from "./closure.ts";

const ownCustomerSchema = z
  .object({
    id: z.string().uuid(),
    object: z.literal("customer"),
    name: z.string(),
    tier: z.enum(["standard", "fintech", "healthcare", "gov_federal"]),
    status: z.enum(["active", "suspended", "closed"]),
    data_jurisdiction: z.enum(["us", "eu", "fedramp"]).openapi({
      description: "Where your Durable Object state and stored files (exports, archives) are kept (docs/residency.md)",
    }),
    created_at: z.string().datetime({ offset: true }),
  })
  .openapi("OwnCustomer");

const closureSchema = z
  .object({
    object: z.literal("closure"),
    customer_id: z.string().uuid(),
    steps: z.record(z.enum(closureSteps), z.string()).openapi({ description: "Each finished step and when" }),
    completed: z.boolean(),
    final_invoice_id: z.string().uuid().nullable(),
    grace_until: z.string().datetime({ offset: true }).openapi({ description: "Rows are deleted after this" }),
    purged_at: z.string().datetime({ offset: true }).nullable(),
  })
  .openapi("Closure");

const toClosure = (row: ClosureRow): z.infer<typeof closureSchema> => ({
  object: "closure",
  customer_id: row.customerId,
  steps: row.steps as Record<(typeof closureSteps)[number], string>,
  completed: row.completedAt !== null,
  final_invoice_id: row.finalInvoiceId,
  grace_until: row.graceUntil.toISOString(),
  purged_at: row.purgedAt?.toISOString() ?? null,
});

const tags: [ApiTag] = ["customer"];

const getRoute = secured("authenticated", {
  method: "get",
  path: "/v1/customer",
  operationId: "getOwnCustomer",
  tags,
  summary: "Your organization, with its data jurisdiction",
  description: "The caller's own customer record.",
  responses: { 200: jsonResponse(ownCustomerSchema, "Your organization"), ...problemResponses(401, 429) },
});

const closeBodySchema = z
  .strictObject({
    confirmation: text({ min: 1, max: 200 }).openapi({ description: "Your organization's exact name" }),
  })
  .openapi("CloseCustomerRequest", { example: { confirmation: "Acme Health" } });

const closeOwnRoute = secured("users:write", {
  method: "post",
  path: "/v1/customer/close",
  operationId: "closeOwnCustomer",
  tags,
  summary: "Close your organization (admins, typed confirmation)",
  description:
    "Revokes every API key and session (yours too), disables webhooks, issues the final invoice for the month so far, " +
    "sets the organization `closed` and deletes its data after the grace period (30 days), except the audit trail " +
    "within its retention. Export your data first (POST /v1/exports). Every step is audited.",
  request: { body: { content: { "application/json": { schema: closeBodySchema } }, required: true } },
  responses: { 200: jsonResponse(closureSchema, "The closure"), ...problemResponses(400, 401, 403, 422, 429) },
});

const closeRoute = secured("super_admin", {
  method: "post",
  path: "/v1/admin/customers/{id}/close",
  operationId: "closeCustomer",
  tags: ["admin"],
  summary: "Close a customer, or resume an interrupted closure (SecureBase staff)",
  description:
    "Runs the closure steps not yet done: revoke keys and sessions, disable webhooks, final invoice, status `closed`; " +
    "the rows are deleted after CLOSURE_GRACE_DAYS by the daily job. Each step is audited in the customer's trail.",
  request: { params: idParam },
  responses: { 200: jsonResponse(closureSchema, "The closure"), ...problemResponses(400, 401, 403, 404, 429) },
});

export const customerRoutes = new OpenAPIHono<AppEnv>()
  .openapi(getRoute, async (c) => {
    const row = await readAs(c, (db) => getCustomer(db, c.var.principal.customerId));
    if (!row) throw notFound("customer", c.var.principal.customerId);
    return c.json(
      {
        id: row.id,
        object: "customer" as const,
        name: row.name,
        tier: row.tier,
        status: row.status,
        data_jurisdiction: row.dataJurisdiction,
        created_at: row.createdAt.toISOString(),
      },
      200,
    );
  })
  .openapi(closeOwnRoute, async (c) => {
    const principal = c.var.principal;
    if (principal.role !== "admin") {
      throw new ProblemError(403, "forbidden", "Forbidden", "Only an admin of the customer can close it.");
    }
    const { confirmation } = c.req.valid("json");
    const row = await readAs(c, (db) => getCustomer(db, principal.customerId));
    if (!row || confirmation !== row.name) {
      throw invalidField("confirmation", "mismatch", "must be your organization's exact name");
    }
    const closure = await runClosure(c.env, principal.customerId, actorOf(principal));
    return c.json(toClosure(closure), 200);
  });

export const staffClosureRoutes = new OpenAPIHono<AppEnv>().openapi(closeRoute, async (c) => {
  const { id } = c.req.valid("param");
  if (id === c.var.principal.customerId) {
    throw invalidField("id", "invalid_value", "cannot close the customer your own staff account belongs to");
  }
  const exists = await readAs(c, (db) => getCustomer(db, id));
  if (!exists) throw notFound("customer", id);
  const closure = await runClosure(c.env, id, actorOf(c.var.principal));
  return c.json(toClosure(closure), 200);
});
