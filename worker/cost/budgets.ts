// Monthly cost budgets and their alerts. A customer has at most one budget (cost_budgets is
// unique per customer). The daily job compares each budget with the month's invoice total so far
// ("actual": tier base + usage to date, discount and tax applied) and with the forecast of the
// month's total ("forecast"): the first time either reaches a threshold in a month, one
// cost_budget_alerts row and one cost.budget_exceeded outbox event are written together. The
// alert row's unique (customer, month, threshold) key makes it exactly-once, however often the
// job runs or retries; a threshold crossed first by the forecast is not alerted again when the
// actual amount reaches it.
import { and, desc, eq, sql } from "drizzle-orm";
import { costBudgetAlerts, costBudgets, outboxEvents, type BudgetAlertBasis } from "../../db/schema.ts";
import { formatCents } from "../platform/money.ts";
import type { Database } from "../platform/database.ts";
import type { Audit } from "../http/transactions.ts";
import { outboxRow, toMessage } from "../events/outbox.ts";
import type { EventMessage } from "../events/messages.ts";
import { buildMonthModels, invoiceTotalCents, monthOf, type CostHistory } from "./forecast-model.ts";
import { totalAt } from "./forecast-cache.ts";
import { loadCostHistories } from "./history.ts";

export type BudgetRow = typeof costBudgets.$inferSelect;
export type BudgetAlertRow = typeof costBudgetAlerts.$inferSelect;

export interface BudgetInput {
  monthly_limit_cents: number;
  alert_thresholds: number[];
}

/** The budget, where the month stands against it, and this month's alerts. */
export interface BudgetStatus {
  budget: BudgetRow;
  month: string;
  monthToDateCents: number;
  forecastCents: number | null;
  alerts: BudgetAlertRow[];
}

/** What a customer's month costs so far: the tier base plus usage to date, discounted and taxed. */
export function monthToDateCents(history: CostHistory): number {
  const usage = Object.values(history.monthToDate).reduce((sum, cents) => sum + cents, 0);
  return invoiceTotalCents(history.baseCents + usage, history.bands, history.taxRateBps);
}

/** The expected invoice total of the current month (null without 3 months of history). */
export function monthForecastCents(history: CostHistory, month: string): number | null {
  const [model] = buildMonthModels(history, month, 1);
  return model ? (totalAt(model, 0.8)?.expected ?? null) : null;
}

export async function getBudgetStatus(db: Database, customerId: string, now: Date): Promise<BudgetStatus | undefined> {
  const month = monthOf(now);
  const [budget] = await db.select().from(costBudgets).where(eq(costBudgets.customerId, customerId));
  if (!budget) return undefined;
  const [[history], alerts] = await Promise.all([
    loadCostHistories(db, [customerId], month),
    db
      .select()
      .from(costBudgetAlerts)
      .where(and(eq(costBudgetAlerts.customerId, customerId), eq(costBudgetAlerts.month, month)))
      .orderBy(desc(costBudgetAlerts.thresholdPercent)),
  ]);
  return {
    budget,
    month,
    monthToDateCents: history ? monthToDateCents(history) : 0,
    forecastCents: history ? monthForecastCents(history, month) : null,
    alerts,
  };
}

/** Creates or replaces the budget (audited). Thresholds are stored sorted and without repeats. */
export async function putBudget(
  db: Database,
  audit: Audit,
  customerId: string,
  input: BudgetInput,
): Promise<{ budget: BudgetRow; created: boolean }> {
  const thresholds = [...new Set(input.alert_thresholds)].sort((a, b) => a - b);
  const [existing] = await db
    .select({ id: costBudgets.id })
    .from(costBudgets)
    .where(eq(costBudgets.customerId, customerId))
    .for("update");
  const [budget] = await db
    .insert(costBudgets)
    .values({ customerId, monthlyLimitCents: input.monthly_limit_cents, alertThresholds: thresholds })
    .onConflictDoUpdate({
      target: costBudgets.customerId,
      set: { monthlyLimitCents: input.monthly_limit_cents, alertThresholds: thresholds, updatedAt: sql`now()` },
    })
    .returning();
  await audit({
    action: existing ? "cost_budget.updated" : "cost_budget.created",
    resourceType: "cost_budget",
    resourceId: budget!.id,
    summary: `Monthly budget set to ${formatCents(input.monthly_limit_cents)} with alerts at ${thresholds.join(", ")} %`,
    data: { monthly_limit_cents: input.monthly_limit_cents, alert_thresholds: thresholds },
  });
  return { budget: budget!, created: !existing };
}

/** Which thresholds a month has reached, and on which basis (actual wins over forecast). */
export function crossedThresholds(
  budget: { monthlyLimitCents: number; alertThresholds: number[] },
  actualCents: number,
  forecastCents: number | null,
): { threshold: number; basis: BudgetAlertBasis; amountCents: number }[] {
  return budget.alertThresholds.flatMap(
    (threshold): { threshold: number; basis: BudgetAlertBasis; amountCents: number }[] => {
      // Compare in integers: amount × 100 ≥ limit × threshold.
      const reached = (amount: number) => amount * 100 >= budget.monthlyLimitCents * threshold;
      if (reached(actualCents)) return [{ threshold, basis: "actual" as const, amountCents: actualCents }];
      if (forecastCents !== null && reached(forecastCents))
        return [{ threshold, basis: "forecast" as const, amountCents: forecastCents }];
      return [];
    },
  );
}

/**
 * Jobs role: checks every budget of these customers (or all budgets) for the current month and
 * writes each newly crossed threshold's alert and outbox event. Returns the events' queue
 * messages, to publish once the transaction has committed (the minute sweep would otherwise).
 */
export async function checkBudgets(db: Database, now: Date, customerIds?: readonly string[]): Promise<EventMessage[]> {
  const month = monthOf(now);
  const budgets = await db
    .select()
    .from(costBudgets)
    .where(customerIds ? sql`${costBudgets.customerId} = ANY (${sql.param([...customerIds])}::uuid[])` : undefined);
  if (budgets.length === 0) return [];
  const histories = new Map(
    (
      await loadCostHistories(
        db,
        budgets.map((b) => b.customerId),
        month,
      )
    ).map((h) => [h.customerId, h]),
  );
  const written: EventMessage[] = [];
  for (const budget of budgets) {
    const history = histories.get(budget.customerId);
    if (!history) continue;
    const crossed = crossedThresholds(budget, monthToDateCents(history), monthForecastCents(history, month));
    for (const { threshold, basis, amountCents } of crossed) {
      const event = outboxRow(budget.customerId, "cost.budget_exceeded", {
        budget_id: budget.id,
        month,
        threshold_percent: threshold,
        basis,
        amount_cents: amountCents,
        budget_cents: budget.monthlyLimitCents,
        percent_of_budget: Math.round((amountCents * 1000) / budget.monthlyLimitCents) / 10,
      });
      const [inserted] = await db
        .insert(costBudgetAlerts)
        .values({
          customerId: budget.customerId,
          month,
          thresholdPercent: threshold,
          basis,
          amountCents,
          budgetCents: budget.monthlyLimitCents,
          eventId: event.id!,
        })
        .onConflictDoNothing()
        .returning({ id: costBudgetAlerts.id });
      if (!inserted) continue;
      const [row] = await db.insert(outboxEvents).values(event).returning();
      await db.update(costBudgets).set({ lastAlertedAt: now }).where(eq(costBudgets.id, budget.id));
      written.push(toMessage(row!));
    }
  }
  return written;
}
