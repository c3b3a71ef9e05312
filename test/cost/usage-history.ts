// Monthly usage histories for the cost tests, written as the owner under the customer's context.
import { asCustomer } from "../../dev/fixtures.ts";
import { monthOf, addMonths } from "../../worker/cost/forecast-model.ts";
import { asOwner } from "../helpers/database.ts";

/** The first day of the month `offset` months from the current one (UTC), e.g. -1 = last month. */
export const monthFromNow = (offset: number) => addMonths(monthOf(new Date()), offset);

/**
 * Writes usage_monthly rows: `months[i]` is the quantity per metric of the month `-(n - i)` from
 * now, so the last entry is last month; `current` is this month so far.
 */
export async function seedUsage(
  customerId: string,
  months: Record<string, number>[],
  current: Record<string, number> = {},
): Promise<void> {
  const rows: [string, string, number][] = [];
  months.forEach((usage, i) => {
    for (const [metric, quantity] of Object.entries(usage))
      rows.push([metric, monthFromNow(i - months.length), quantity]);
  });
  for (const [metric, quantity] of Object.entries(current)) rows.push([metric, monthFromNow(0), quantity]);
  await asOwner((client) =>
    asCustomer(client, customerId, async () => {
      for (const [metric, month, quantity] of rows) {
        await client.query(
          `INSERT INTO usage_monthly (customer_id, metric, month, quantity, events) VALUES ($1, $2, $3, $4, 1)
           ON CONFLICT (customer_id, metric, month) DO UPDATE SET quantity = excluded.quantity`,
          [customerId, metric, month, quantity],
        );
      }
    }),
  );
}

/** A steadily growing history: log storage GB-months and NAT GB, with a little deterministic wobble. */
export function growingUsage(months: number): Record<string, number>[] {
  return Array.from({ length: months }, (_, i) => ({
    log_storage_gb_month: 400 + 25 * i + ((i * 7) % 5) * 4,
    nat_processing_gb: 3_000 + 180 * i + ((i * 3) % 4) * 40,
  }));
}
