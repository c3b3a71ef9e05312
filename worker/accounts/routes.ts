// Managed AWS accounts: list, get, create (reserves a slot against the tier's max_accounts;
// 409 naming the limit), close (frees the slot). Every change is audited.
import { OpenAPIHono, z } from "@hono/zod-openapi";
import { accountEnvironments, accountStatuses } from "../../db/schema.ts";
import type { AppEnv } from "../http/context.ts";
import { text } from "../http/input.ts";
import { idParam, pageSchema, paginationQuerySchema, pageOf } from "../http/pagination.ts";
import { notFound, PROBLEM_CONTENT_TYPE, problemResponses, problemSchema } from "../http/problem.ts";
import { secured } from "../http/routes.ts";
import { readAs, writeAs } from "../http/transactions.ts";
import {
  AccountLimitReached,
  accountLimitProblem,
  closeAccount,
  createAccount,
  getAccount,
  listAccounts,
  renameAccount,
  type AccountRow,
} from "./accounts.ts";

const accountSchema = z
  .object({
    id: z.string().uuid(),
    object: z.literal("managed_account"),
    name: z.string().openapi({ example: "payments-prod" }),
    environment: z.enum(accountEnvironments),
    aws_account_id: z
      .string()
      .nullable()
      .openapi({ description: "Set once provisioning has created the AWS account", example: "123456789012" }),
    status: z.enum(accountStatuses),
    created_at: z.string().datetime({ offset: true }),
    closed_at: z.string().datetime({ offset: true }).nullable(),
  })
  .openapi("ManagedAccount");

const createBodySchema = z
  .strictObject({
    name: text({ min: 1, max: 100 }).openapi({ example: "payments-prod" }),
    environment: z.enum(accountEnvironments).openapi({ example: "production" }),
  })
  .openapi("CreateManagedAccountRequest", { example: { name: "payments-prod", environment: "production" } });

const updateBodySchema = z
  .strictObject({
    name: text({ min: 1, max: 100 }).openapi({ example: "payments-prod-eu" }),
  })
  .openapi("UpdateManagedAccountRequest", { example: { name: "payments-prod-eu" } });

const limitResponse = {
  409: {
    description: "The tier's `max_accounts` is reached (the detail names the limit)",
    content: { [PROBLEM_CONTENT_TYPE]: { schema: problemSchema } },
  },
};

function toAccount(row: AccountRow): z.infer<typeof accountSchema> {
  return {
    id: row.id,
    object: "managed_account",
    name: row.name,
    environment: row.environment,
    aws_account_id: row.awsAccountId,
    status: row.status,
    created_at: row.createdAt.toISOString(),
    closed_at: row.closedAt ? row.closedAt.toISOString() : null,
  };
}

const listRoute = secured("accounts:read", {
  method: "get",
  path: "/v1/accounts",
  operationId: "listAccounts",
  tags: ["accounts"],
  summary: "List your managed AWS accounts, newest first",
  description: "Every managed account of your organization; `status` filters (e.g. `closed`).",
  request: {
    query: paginationQuerySchema.extend({
      status: z
        .enum(accountStatuses)
        .optional()
        .openapi({ param: { name: "status", in: "query" }, example: "active" }),
    }),
  },
  responses: {
    200: {
      description: "A page of accounts",
      content: { "application/json": { schema: pageSchema(accountSchema, "ManagedAccountList") } },
    },
    ...problemResponses(400, 401, 403, 429),
  },
});

const getRoute = secured("accounts:read", {
  method: "get",
  path: "/v1/accounts/{id}",
  operationId: "getAccount",
  tags: ["accounts"],
  summary: "Retrieve a managed AWS account",
  description: "One managed account; another organization's account is a 404.",
  request: { params: idParam },
  responses: {
    200: { description: "The account", content: { "application/json": { schema: accountSchema } } },
    ...problemResponses(400, 401, 403, 404, 429),
  },
});

const createRoute = secured("accounts:write", {
  method: "post",
  path: "/v1/accounts",
  operationId: "createAccount",
  tags: ["accounts"],
  summary: "Create a managed AWS account (reserves a slot of your tier)",
  description:
    "Reserves one of your tier's `max_accounts` slots atomically (concurrent creates never over-allocate) and creates " +
    "the account in `provisioning`. Over the limit it is a 409 naming the limit. Safe to retry with `Idempotency-Key`.",
  request: { body: { content: { "application/json": { schema: createBodySchema } }, required: true } },
  responses: {
    201: { description: "The new account", content: { "application/json": { schema: accountSchema } } },
    ...problemResponses(400, 401, 403, 422, 429),
    ...limitResponse,
  },
});

const updateRoute = secured("accounts:write", {
  method: "patch",
  path: "/v1/accounts/{id}",
  operationId: "updateAccount",
  tags: ["accounts"],
  summary: "Rename a managed AWS account",
  description: "Changes the account's name (your label; the AWS account id stays). A closed account is a 409.",
  request: {
    params: idParam,
    body: { content: { "application/json": { schema: updateBodySchema } }, required: true },
  },
  responses: {
    200: { description: "The renamed account", content: { "application/json": { schema: accountSchema } } },
    ...problemResponses(400, 401, 403, 404, 409, 422, 429),
  },
});

const closeRoute = secured("accounts:write", {
  method: "delete",
  path: "/v1/accounts/{id}",
  operationId: "closeAccount",
  tags: ["accounts"],
  summary: "Close a managed AWS account (frees its slot)",
  description: "Marks the account closed and frees its slot for a new one. Closing a closed account changes nothing.",
  request: { params: idParam },
  responses: {
    200: { description: "The closed account", content: { "application/json": { schema: accountSchema } } },
    ...problemResponses(400, 401, 403, 404, 429),
  },
});

export const accountRoutes = new OpenAPIHono<AppEnv>()
  .openapi(listRoute, async (c) => {
    const query = c.req.valid("query");
    const rows = await readAs(c, (db) => listAccounts(db, c.var.principal.customerId, query));
    return c.json(pageOf(rows, query.limit, toAccount), 200);
  })
  .openapi(getRoute, async (c) => {
    const { id } = c.req.valid("param");
    const row = await readAs(c, (db) => getAccount(db, c.var.principal.customerId, id));
    if (!row) throw notFound("managed account", id);
    return c.json(toAccount(row), 200);
  })
  .openapi(createRoute, async (c) => {
    const body = c.req.valid("json");
    const { customerId } = c.var.principal;
    try {
      const account = await writeAs(c, (db, audit) => createAccount(db, audit, customerId, body));
      c.header("location", `/v1/accounts/${account.id}`);
      return c.json(toAccount(account), 201);
    } catch (error) {
      if (error instanceof AccountLimitReached) throw await readAs(c, (db) => accountLimitProblem(db, customerId));
      throw error;
    }
  })
  .openapi(updateRoute, async (c) => {
    const { id } = c.req.valid("param");
    const { name } = c.req.valid("json");
    const row = await writeAs(c, (db, audit) => renameAccount(db, audit, c.var.principal.customerId, id, name));
    return c.json(toAccount(row), 200);
  })
  .openapi(closeRoute, async (c) => {
    const { id } = c.req.valid("param");
    const row = await writeAs(c, (db, audit) => closeAccount(db, audit, c.var.principal.customerId, id));
    return c.json(toAccount(row), 200);
  });
