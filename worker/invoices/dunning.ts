// Dunning, the daily Cron job (docs/billing.md, "Dunning"), on the jobs role in one transaction.
// An open invoice with money due is reminded 1, 7 and 14 days after its due date (the highest
// stage reached, so a missed run sends one reminder, not three) and, at 30 days, its customer is
// marked past due and SecureBase staff are told. Each (invoice, stage) is a dunning_reminders row
// inserted with ON CONFLICT DO NOTHING; only the rows this run inserted send anything, so a
// re-run or an overlapping run sends nothing twice. The mark is cleared by the settlement itself
// (app.clear_past_due, db/migrations/0160_dunning.sql and 0220). After commit the job puts every
// past-due customer's edge mark and removes stale ones (worker/auth/past-due.ts): what
// DUNNING_SUSPEND_AT=past_due refuses on, and a daily repair if a settlement's unmark failed.
import { and, eq, sql } from "drizzle-orm";
import { auditEvents, users } from "../../db/schema.ts";
import { dunningSuspendAt, markedCustomers, unmarkPastDue } from "../auth/past-due.ts";
import type { Env } from "../env.ts";
import { sendDueEmails } from "../notifications/email.ts";
import { notify, type Notice } from "../notifications/notify.ts";
import { type Database, withJobsDatabase } from "../platform/database.ts";
import { formatCents } from "../platform/money.ts";
import { portalLink } from "../platform/portal-links.ts";
import { PAST_DUE_DAYS, pastDueCustomers, syncPastDueMark } from "./past-due.ts";

interface Reminder {
  customer_id: string;
  invoice_id: string;
  number: string;
  amount_due_cents: string | number;
  due_at: string;
  days_past_due: number;
  stage: string;
}

interface Marked {
  id: string;
  name: string;
  amount_due_cents: string | number;
  invoice_numbers: string[];
}

const iso = sql.raw(`'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'`);

/** Where a reminder links to: the portal's invoice page, or the API's when there is no portal. */
export function invoiceLink(env: Env, invoiceId: string): string {
  return portalLink(env, `/invoices/${invoiceId}`);
}

async function recordReminders(db: Database, now: Date): Promise<Reminder[]> {
  const at = now.toISOString();
  const result = await db.execute<Record<string, unknown>>(sql`
    WITH due AS (
      SELECT i.id, i.customer_id,
             floor(extract(epoch FROM (${at}::timestamptz - i.due_at)) / 86400)::integer AS days
        FROM invoices i
       WHERE i.status = 'open' AND i.amount_due_cents > 0 AND i.due_at IS NOT NULL
         AND i.due_at <= ${at}::timestamptz - interval '1 day'
    ), inserted AS (
      INSERT INTO dunning_reminders (customer_id, invoice_id, stage, days_past_due, sent_at)
      SELECT customer_id, id,
             CASE WHEN days >= 14 THEN 'day_14' WHEN days >= 7 THEN 'day_7' ELSE 'day_1' END, days, ${at}::timestamptz
        FROM due
      ON CONFLICT DO NOTHING
      RETURNING customer_id, invoice_id, stage, days_past_due
    )
    SELECT r.customer_id, r.invoice_id, r.stage, r.days_past_due, i.number, i.amount_due_cents,
           to_char(i.due_at AT TIME ZONE 'UTC', ${iso}) AS due_at
      FROM inserted r JOIN invoices i ON i.id = r.invoice_id`);
  return result.rows as unknown as Reminder[];
}

/** Records the day-30 stage and marks the customers it newly reaches past due. */
async function markPastDue(db: Database, now: Date): Promise<Marked[]> {
  const at = now.toISOString();
  await db.execute(sql`
    INSERT INTO dunning_reminders (customer_id, invoice_id, stage, days_past_due, sent_at)
    SELECT customer_id, id, 'day_30',
           floor(extract(epoch FROM (${at}::timestamptz - due_at)) / 86400)::integer, ${at}::timestamptz
      FROM invoices
     WHERE status = 'open' AND amount_due_cents > 0 AND due_at IS NOT NULL
       AND due_at <= ${at}::timestamptz - make_interval(days => ${PAST_DUE_DAYS}::integer)
    ON CONFLICT DO NOTHING`);
  const result = await db.execute<Record<string, unknown>>(sql`
    UPDATE customers c SET past_due_since = ${at}::timestamptz
      FROM (SELECT customer_id, sum(amount_due_cents) AS amount_due_cents,
                   array_agg(number ORDER BY number) AS invoice_numbers
              FROM invoices
             WHERE status = 'open' AND amount_due_cents > 0 AND due_at IS NOT NULL
               AND due_at <= ${at}::timestamptz - make_interval(days => ${PAST_DUE_DAYS}::integer)
             GROUP BY customer_id) late
     WHERE c.id = late.customer_id AND c.past_due_since IS NULL
    RETURNING c.id, c.name, late.amount_due_cents, late.invoice_numbers`);
  return result.rows as unknown as Marked[];
}

/** The daily job: reminders, the past-due mark, staff told; emails sent after commit. */
export async function runDunning(env: Env, now: Date): Promise<Record<string, unknown>> {
  // An unknown DUNNING_SUSPEND_AT fails the run (recorded as a failed job) before anything is sent.
  const suspended = dunningSuspendAt(env) === "past_due";
  const { reminders, marked, pastDue, emailIds } = await withJobsDatabase(env, async (db) => {
    const reminders = await recordReminders(db, now);
    const marked = await markPastDue(db, now);
    const pastDue = await pastDueCustomers(db, undefined, now);
    const notices: Notice[] = reminders.map((r) => ({
      customerId: r.customer_id,
      type: "invoice.payment_overdue",
      eventId: null,
      data: {
        id: r.invoice_id,
        number: r.number,
        amount_due_cents: Number(r.amount_due_cents),
        due_at: r.due_at,
        days_past_due: r.days_past_due,
        stage: r.stage,
        url: invoiceLink(env, r.invoice_id),
      },
    }));
    if (marked.length) {
      const staff = await db
        .select({ customerId: users.customerId, email: users.email })
        .from(users)
        .where(and(eq(users.platformRole, "super_admin"), eq(users.status, "active")));
      for (const customer of marked) {
        const data = {
          customer_id: customer.id,
          customer_name: customer.name,
          amount_due_cents: Number(customer.amount_due_cents),
          invoice_numbers: customer.invoice_numbers,
        };
        for (const person of staff) {
          notices.push({
            customerId: person.customerId,
            type: "customer.past_due",
            eventId: null,
            data: { ...data, email: person.email },
          });
        }
      }
      await db.insert(auditEvents).values(
        marked.map((customer) => ({
          customerId: customer.id,
          actorType: "system" as const,
          actorId: "dunning",
          action: "customer.past_due",
          resourceType: "customer",
          resourceId: customer.id,
          summary:
            `Marked past due: ${formatCents(Number(customer.amount_due_cents))} due ${PAST_DUE_DAYS}+ days late (${customer.invoice_numbers.join(", ")})` +
            (suspended ? "; API access suspended until paid (DUNNING_SUSPEND_AT=past_due)" : ""),
          data: {
            invoice_numbers: customer.invoice_numbers,
            amount_due_cents: Number(customer.amount_due_cents),
            service_suspended: suspended,
          },
          // Filled by the chain trigger; drizzle's insert type requires them.
          seq: 0,
          prevHash: new Uint8Array(32),
          hash: new Uint8Array(32),
        })),
      );
    }
    return { reminders, marked, pastDue, emailIds: await notify(db, notices) };
  });
  // The edge marks follow Postgres: every past-due customer marked (new sums too), stale ones removed.
  const kv = env.AUTH_CACHE;
  await Promise.all([...pastDue].map(([id, state]) => syncPastDueMark(kv, id, state)));
  const stale = (await markedCustomers(kv)).filter((id) => !pastDue.has(id));
  await Promise.all(stale.map((id) => unmarkPastDue(kv, id)));
  // Sent now rather than on the next events sweep; a failure is retried by that sweep.
  const sent = emailIds.length ? await sendDueEmails(env, emailIds) : { sent: 0, failed: 0 };
  return {
    reminders: reminders.length,
    customers_marked_past_due: marked.length,
    customers_past_due: pastDue.size,
    stale_marks_removed: stale.length,
    emails_sent: sent.sent,
    emails_failed: sent.failed,
  };
}
