// Demo settlement for `npm run dev` (docs/billing.md, "Settlement"): the first demo customer's
// oldest invoice paid by wire, the second's credited $100.00 and the rest paid by wire. Through
// the same definer functions the staff routes call, on the request role in a signed staff
// context (no audit or events: it is seed data); idempotent (an invoice with payments is skipped).
import pg from "pg";
import { asCustomer, type FixtureClient, fixtureClient } from "../fixtures.ts";
import { demoCustomers } from "./demo.ts";

export async function seedDemoSettlement(apiUrl: string, contextKey: string): Promise<string[]> {
  const connection = new pg.Client({ connectionString: apiUrl });
  await connection.connect();
  const client = fixtureClient(connection, contextKey);
  const done: string[] = [];
  try {
    for (const [index, customer] of demoCustomers.slice(0, 2).entries()) {
      await asCustomer(client, { customerId: customer.id, superAdmin: true }, async () => {
        const { rows } = await client.query(
          `SELECT id, number, total_cents::bigint AS total FROM invoices
           WHERE customer_id = $1 AND status = 'open' AND amount_paid_cents = 0 ORDER BY period_start LIMIT 1`,
          [customer.id],
        );
        const invoice = rows[0] as { id: string; number: string; total: string } | undefined;
        if (!invoice) return;
        const credit = index === 1 ? 10_000 : 0;
        if (credit > 0) {
          await client.query("SELECT app.issue_credit_note($1, $2, $3, NULL, 'staff:demo-seed')", [
            invoice.id,
            "Service credit for a demo outage",
            credit,
          ]);
        }
        await client.query("SELECT app.record_invoice_payment($1, $2, 'wire', $3, now(), NULL, NULL, NULL)", [
          invoice.id,
          Number(invoice.total) - credit,
          `DEMO-WIRE-${invoice.number}`,
        ]);
        done.push(`${invoice.number} ${credit > 0 ? "credited $100.00 and paid" : "paid"}`);
      });
    }
    return done;
  } finally {
    await connection.end();
  }
}

/**
 * A past-due demo customer (docs/billing.md, "Dunning"): Globex Financial's oldest open
 * invoice fell due 35 days ago, the dunning job's reminders (1, 7, 14 days) and day-30 mark are
 * recorded, and the customer is past due, as if the daily job had run. On the owner connection;
 * idempotent (an invoice with reminders is skipped).
 */
export async function seedDemoPastDue(
  client: FixtureClient,
  customer: { id: string; name: string } | undefined = demoCustomers[1],
): Promise<string[]> {
  if (!customer) return [];
  return asCustomer(client, customer.id, async () => {
    const { rows } = await client.query(
      `SELECT i.id, i.number FROM invoices i
        WHERE i.customer_id = $1 AND i.status = 'open' AND i.amount_due_cents > 0
          AND NOT EXISTS (SELECT 1 FROM dunning_reminders r WHERE r.invoice_id = i.id)
        ORDER BY i.period_start LIMIT 1`,
      [customer.id],
    );
    const invoice = rows[0] as { id: string; number: string } | undefined;
    if (!invoice) return [];
    await client.query("UPDATE invoices SET due_at = now() - interval '35 days' WHERE id = $1", [invoice.id]);
    await client.query(
      `INSERT INTO dunning_reminders (customer_id, invoice_id, stage, days_past_due, sent_at)
       SELECT $1, $2, 'day_' || d, d, now() - make_interval(days => 35 - d)
         FROM unnest(ARRAY[1, 7, 14, 30]) AS d
       ON CONFLICT DO NOTHING`,
      [customer.id, invoice.id],
    );
    await client.query("UPDATE customers SET past_due_since = now() - interval '5 days' WHERE id = $1", [customer.id]);
    return [`${invoice.number} 35 days past due (reminded at 1, 7, 14 days; ${customer.name} past due)`];
  });
}
