// Billing fixtures: customers that existed in a past month (the run only bills customers created
// before the period ended), usage ingested through the real SQL ingest on the jobs role (the
// HTTP ingest refuses events older than the look-back window), and cross-tenant reads.
import { asCustomer } from "../../dev/fixtures.ts";
import { as, asOwner } from "./database.ts";

/** Pretends the customer was onboarded at `createdAt` (e.g. "2025-03-01"). */
export async function backdate(
  customerId: string,
  createdAt: string,
  options: { taxRateBps?: number } = {},
): Promise<void> {
  await asOwner((client) =>
    asCustomer(client, customerId, () =>
      client.query("UPDATE customers SET created_at = $2, tax_rate_bps = coalesce($3, tax_rate_bps) WHERE id = $1", [
        customerId,
        createdAt,
        options.taxRateBps ?? null,
      ]),
    ),
  );
}

export interface UsageRow {
  event_id?: string;
  customer_id: string;
  metric: string;
  quantity: string;
  occurred_at: string;
  account_id?: string;
}

let counter = 0;

/** Ingests events with app.ingest_usage on the jobs role; returns its outcome. */
export async function ingestAsJobs(
  events: UsageRow[],
): Promise<{ results?: { index: number; status: string }[]; errors?: unknown[] }> {
  const withIds = events.map((e) => ({
    ...e,
    event_id: e.event_id ?? `fixture-${Date.now()}-${counter++}-${Math.random().toString(36).slice(2)}`,
  }));
  return as("jobs", async (client) => {
    const { rows } = await client.query("SELECT app.ingest_usage($1::jsonb) AS outcome", [JSON.stringify(withIds)]);
    return rows[0]!.outcome as { results?: { index: number; status: string }[]; errors?: unknown[] };
  });
}

/** Superuser query (bypasses RLS): for assertions across tenants. */
export async function adminQuery<T = Record<string, unknown>>(text: string, values: unknown[] = []): Promise<T[]> {
  return as("admin", async (client) => (await client.query(text, values)).rows as T[]);
}

export interface IssuedInvoice {
  id: string;
  customer_id: string;
  number: string;
  period_start: string;
  subtotal_cents: string;
  discount_cents: string;
  tax_cents: string;
  total_cents: string;
}

export const invoicesFor = (customerIds: string[], periodStart: string) =>
  adminQuery<IssuedInvoice>(
    `SELECT id, customer_id, number, period_start::text, subtotal_cents, discount_cents, tax_cents, total_cents
     FROM invoices WHERE customer_id = ANY ($1::uuid[]) AND period_start = $2 ORDER BY customer_id`,
    [customerIds, periodStart],
  );

/** Every invoice number the runs issued in `year` is present once, from 1 to the counter. */
export async function numberingOf(year: number): Promise<{ counter: number; numbers: number[] }> {
  const [seq] = await adminQuery<{ last_value: string }>(
    "SELECT last_value FROM invoice_number_sequences WHERE year = $1",
    [year],
  );
  const rows = await adminQuery<{ n: string }>(
    "SELECT substring(number FROM 9)::bigint AS n FROM invoices WHERE number LIKE $1 ORDER BY 1",
    [`SB-${year}-%`],
  );
  return { counter: Number(seq?.last_value ?? 0), numbers: rows.map((r) => Number(r.n)) };
}
