// Demo settlement for `npm run dev` (docs/billing.md, "Settlement"): the first demo customer's
// oldest invoice paid by wire, the second's credited $100.00 and the rest paid by wire. Through
// the same definer functions the staff routes call, on the request role in a signed staff
// context (no audit or events: it is seed data); idempotent (an invoice with payments is skipped).
import pg from "pg";
import { asCustomer, fixtureClient } from "../fixtures.ts";
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
