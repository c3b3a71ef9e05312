// The daily deletion of closed customers past their grace period (docs/exports-closure.md): every
// row of every table with a customer_id goes (app.purge_closed_customer reads the tables from the
// catalog), except the audit trail, kept for the tier's retention (it is append-only; the audit
// archive ages it out) and anything a legal hold keeps.
import { sql } from "drizzle-orm";
import type { Env } from "../env.ts";
import { type Database, RequestDatabase, withJobsDatabase } from "../platform/database.ts";

/** Customers deleted per run; the next run takes the rest. */
export const PURGE_BATCH = 20;

/**
 * A customer under legal hold (audit_legal_holds, set by staff: docs/audit-retention.md) keeps all
 * its rows until the hold is lifted.
 */
export async function underLegalHold(db: Database, customerId: string): Promise<boolean> {
  const { rows } = await db.execute(sql`SELECT 1 FROM audit_legal_holds WHERE customer_id = ${customerId}::uuid`);
  return rows.length > 0;
}

export async function purgeClosedCustomers(env: Env, _now: Date): Promise<Record<string, unknown>> {
  const due = await withJobsDatabase(env, async (db) => {
    const { rows } = await db.execute(sql`SELECT customer_id FROM app.closures_due(${PURGE_BATCH}::integer)`);
    return rows.map((r) => String(r.customer_id));
  });
  const database = new RequestDatabase(env);
  let deleted = 0;
  let held = 0;
  try {
    for (const customerId of due) {
      await database.tenant({ customerId, superAdmin: true }, "write", async (db) => {
        if (await underLegalHold(db, customerId)) {
          held++;
          return;
        }
        const { rows } = await db.execute(sql`SELECT app.purge_closed_customer(${customerId}::uuid) AS n`);
        const n = Number(rows[0]!.n);
        deleted++;
        await db.execute(sql`
          INSERT INTO audit_events (customer_id, seq, actor_type, actor_id, action, resource_type, resource_id, summary,
                                    data, prev_hash, hash)
          VALUES (${customerId}::uuid, 0, 'system', 'closure-purge', 'customer.data_deleted', 'customer', ${customerId},
                  ${`Closed customer's data deleted after its grace period (${n} rows; the audit trail is kept)`},
                  ${JSON.stringify({ rows: n })}::jsonb, '\\x'::bytea, '\\x'::bytea)`);
      });
    }
  } finally {
    await database.close();
  }
  return { customers_due: due.length, customers_deleted: deleted, customers_held: held };
}
