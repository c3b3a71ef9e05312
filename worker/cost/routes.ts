// /v1/cost: the cost forecast with prediction intervals, and the monthly budget.
import { OpenAPIHono } from "@hono/zod-openapi";
import type { AppEnv } from "../http/context.ts";
import { ProblemError, problemResponses } from "../http/problem.ts";
import { secured } from "../http/routes.ts";
import { readAs, writeAs } from "../http/transactions.ts";
import { getBudgetStatus, putBudget } from "./budgets.ts";
import { loadForecast, renderForecast } from "./forecast-cache.ts";
import {
  budgetInputSchema,
  budgetSchema,
  forecastQuerySchema,
  forecastSchema,
  toBudget,
  toForecast,
} from "./schemas.ts";

const forecastRoute = secured("cost:read", {
  method: "get",
  path: "/v1/cost/forecast",
  operationId: "getCostForecast",
  tags: ["cost"],
  summary: "Forecast your next months' cost with prediction intervals",
  description:
    "Per month from the current one: the expected invoice total with the lower and upper bound of the `level` % prediction interval, and the same per component (the tier base fee, which is known, and each usage item). Holt's linear trend with 6+ closed months of usage, a drift method with wider intervals on 3–5, and `status: insufficient_history` (no numbers but the base fee) below 3. Served from the daily forecast when it is fresh.",
  request: { query: forecastQuerySchema },
  responses: {
    200: { description: "The forecast", content: { "application/json": { schema: forecastSchema } } },
    ...problemResponses(400, 401, 403),
  },
});

const getBudgetRoute = secured("cost:read", {
  method: "get",
  path: "/v1/cost/budget",
  operationId: "getCostBudget",
  tags: ["cost"],
  summary: "Retrieve your monthly budget and where this month stands",
  description:
    "The monthly budget, its alert thresholds, the month's invoice total so far and its forecast, and the thresholds alerted this month.",
  responses: {
    200: { description: "The budget", content: { "application/json": { schema: budgetSchema } } },
    ...problemResponses(401, 403, 404),
  },
});

const putBudgetRoute = secured("cost:write", {
  method: "put",
  path: "/v1/cost/budget",
  operationId: "setCostBudget",
  tags: ["cost"],
  summary: "Set your monthly budget and alert thresholds",
  description:
    "Creates or replaces the monthly budget. Each day, the first time the month's invoice total so far (`actual`) or its forecast (`forecast`) reaches a threshold, one `cost.budget_exceeded` event is sent (notification category `cost_alerts`); each threshold alerts at most once per month.",
  request: { body: { required: true, content: { "application/json": { schema: budgetInputSchema } } } },
  responses: {
    200: { description: "The budget as set", content: { "application/json": { schema: budgetSchema } } },
    ...problemResponses(401, 403, 422),
  },
});

export const costRoutes = new OpenAPIHono<AppEnv>()
  .openapi(forecastRoute, async (c) => {
    const { months, level } = c.req.valid("query");
    const { customerId } = c.var.principal;
    const forecast = await readAs(c, (db) => loadForecast(db, customerId, months, new Date()));
    return c.json(toForecast(forecast, level, renderForecast(forecast, level / 100)), 200);
  })
  .openapi(getBudgetRoute, async (c) => {
    const { customerId } = c.var.principal;
    const status = await readAs(c, (db) => getBudgetStatus(db, customerId, new Date()));
    if (!status)
      throw new ProblemError(
        404,
        "not-found",
        "Not found",
        "No cost budget is set; create one with PUT /v1/cost/budget.",
      );
    return c.json(toBudget(status), 200);
  })
  .openapi(putBudgetRoute, async (c) => {
    const input = c.req.valid("json");
    const { customerId } = c.var.principal;
    const status = await writeAs(c, async (db, audit) => {
      await putBudget(db, audit, customerId, input);
      return getBudgetStatus(db, customerId, new Date());
    });
    return c.json(toBudget(status!), 200);
  });
