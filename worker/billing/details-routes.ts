// GET/PATCH /v1/billing/details: the customer's own billing details (worker/billing/details.ts).
import { OpenAPIHono } from "@hono/zod-openapi";
import type { AppEnv } from "../http/context.ts";
import { problemResponses } from "../http/problem.ts";
import { secured } from "../http/routes.ts";
import { readAs, writeAs } from "../http/transactions.ts";
import {
  billingDetailsPatchSchema,
  billingDetailsSchema,
  getBillingDetails,
  toBillingDetails,
  updateBillingDetails,
} from "./details.ts";

const getRoute = secured("billing:read", {
  method: "get",
  path: "/v1/billing/details",
  operationId: "getBillingDetails",
  tags: ["billing"],
  summary: "Your billing details and tax status",
  description:
    "The name, email, address and tax id your invoices are made out to (name and email default to the customer's), " +
    "and your tax status, which SecureBase staff set.",
  responses: {
    200: { description: "Your billing details", content: { "application/json": { schema: billingDetailsSchema } } },
    ...problemResponses(401, 403, 429),
  },
});

const patchRoute = secured("billing:write", {
  method: "patch",
  path: "/v1/billing/details",
  operationId: "updateBillingDetails",
  tags: ["billing"],
  summary: "Change your billing details",
  description:
    "Sets the fields given (`null` clears one; `address` is replaced whole). Invoices already issued keep the details " +
    "they were issued with. The tax id cannot be removed while your tax status is `reverse_charge` (422). Audited as " +
    "`customer.billing_details_updated`.",
  request: {
    body: { content: { "application/json": { schema: billingDetailsPatchSchema } }, required: true },
  },
  responses: {
    200: {
      description: "Your billing details after the change",
      content: { "application/json": { schema: billingDetailsSchema } },
    },
    ...problemResponses(401, 403, 422, 429),
  },
});

export const billingDetailsRoutes = new OpenAPIHono<AppEnv>()
  .openapi(getRoute, async (c) => {
    const { customerId } = c.var.principal;
    const row = await readAs(c, (db) => getBillingDetails(db, customerId));
    return c.json(toBillingDetails(row), 200);
  })
  .openapi(patchRoute, async (c) => {
    const body = c.req.valid("json");
    const { customerId } = c.var.principal;
    const row = await writeAs(c, (db, audit) => updateBillingDetails(db, audit, customerId, body));
    return c.json(toBillingDetails(row), 200);
  });
