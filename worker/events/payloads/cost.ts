// The payload of the cost.budget_exceeded event (worker/events/catalogue.ts; notification
// category `cost_alerts`), checked by outboxRow before the row is written.
import { z } from "@hono/zod-openapi";

export const budgetExceededSchema = z.object({
  budget_id: z.string().uuid(),
  month: z.string().date().openapi({ description: "The month (first day, UTC) whose cost crossed the threshold" }),
  threshold_percent: z.number().int().min(1).max(500),
  basis: z.enum(["actual", "forecast"]).openapi({
    description:
      "`actual`: the month's invoice total so far reached the threshold; `forecast`: the forecast of the month's total did",
  }),
  amount_cents: z
    .number()
    .int()
    .min(0)
    .openapi({ description: "The amount that reached the threshold, in integer cents" }),
  budget_cents: z.number().int().min(1),
  percent_of_budget: z.number().openapi({ description: "amount / budget × 100, one decimal" }),
});
export type BudgetExceededPayload = z.infer<typeof budgetExceededSchema>;
