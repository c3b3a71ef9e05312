// The past-due state of customers as the edge mark carries it (worker/auth/past-due.ts), read in
// the transaction that may change it, and put into the mark after commit. Every settlement path
// (staff payment, void, uncollectible, credit note; the provider webhook) calls settledPastDue in
// its transaction and syncPastDueMark after it commits; the dunning job marks and reconciles.
import { type SQL, sql } from "drizzle-orm";
import { markPastDue, type PastDue, unmarkPastDue } from "../auth/past-due.ts";
import type { Emit } from "../events/outbox.ts";
import type { AppContext } from "../http/context.ts";
import { type Actor, type Audit, writeAs } from "../http/transactions.ts";
import type { Database } from "../platform/database.ts";
import type { TenantContext } from "../platform/tenant-context.ts";

/** Days past the due date at which a customer is marked past due. */
export const PAST_DUE_DAYS = 30;

const iso = sql.raw(`'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'`);

/** Past-due customers (all the role sees, or one) with the sum of their 30+ days late invoices. */
export async function pastDueCustomers(
  db: Database,
  customerId?: string,
  now = new Date(),
): Promise<Map<string, PastDue>> {
  const only: SQL = customerId ? sql`AND c.id = ${customerId}::uuid` : sql``;
  const result = await db.execute<Record<string, unknown>>(sql`
    SELECT c.id, to_char(c.past_due_since AT TIME ZONE 'UTC', ${iso}) AS since,
           coalesce(sum(i.amount_due_cents), 0)::bigint AS amount_due_cents,
           coalesce(array_agg(i.number ORDER BY i.number) FILTER (WHERE i.id IS NOT NULL), '{}') AS invoice_numbers
      FROM customers c
      LEFT JOIN invoices i ON i.customer_id = c.id AND i.status = 'open' AND i.amount_due_cents > 0
            AND i.due_at <= ${now.toISOString()}::timestamptz - make_interval(days => ${PAST_DUE_DAYS}::integer)
     WHERE c.past_due_since IS NOT NULL ${only}
     GROUP BY c.id, c.past_due_since`);
  return new Map(
    result.rows.map((r) => [
      String(r.id),
      {
        since: String(r.since),
        amount_due_cents: Number(r.amount_due_cents),
        invoice_numbers: r.invoice_numbers as string[],
      },
    ]),
  );
}

/** In a settlement's transaction: the customer's state once it commits (null: not past due). */
export async function settledPastDue(db: Database, customerId: string): Promise<PastDue | null> {
  return (await pastDueCustomers(db, customerId)).get(customerId) ?? null;
}

/** After commit: the mark says what Postgres says (cleared: removed; still late: the new sum). */
export function syncPastDueMark(kv: KVNamespace, customerId: string, state: PastDue | null): Promise<void> {
  return state ? markPastDue(kv, customerId, state) : unmarkPastDue(kv, customerId);
}

/**
 * A settlement's write transaction (writeAs) that also keeps the customer's past-due mark true:
 * the state is read in the transaction (after app.clear_past_due ran) and put after commit.
 */
export async function settleAs<T>(
  c: AppContext,
  customerId: string,
  work: (db: Database, audit: Audit, emit: Emit) => Promise<T>,
  as: { context: TenantContext; actor: Actor },
): Promise<T> {
  const { result, pastDue } = await writeAs(
    c,
    async (db, audit, emit) => ({ result: await work(db, audit, emit), pastDue: await settledPastDue(db, customerId) }),
    as,
  );
  await syncPastDueMark(c.env.AUTH_CACHE, customerId, pastDue);
  return result;
}
