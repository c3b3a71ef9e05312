// Demo usage and invoices for `npm run dev`, made the way production makes them: usage through
// app.ingest_usage and invoices through the billing run (worker/billing/runs.ts), on the jobs
// role. DEMO_MONTHS closed months are billed (oldest first) and the current month has usage so
// far, so a new user sees invoices, a preview and metrics at once. Idempotent: event ids are
// fixed (a re-seed reports duplicates) and a month is billed only while a demo customer lacks
// its invoice.
import { drizzle } from "drizzle-orm/node-postgres";
import pg from "pg";
import { runBilling, type Transact } from "../../worker/billing/runs.ts";
import { DEMO_MONTHS, demoCustomers, monthStart } from "./demo.ts";

interface DemoEvent {
  event_id: string;
  customer_id: string;
  metric: string;
  quantity: string;
  occurred_at: string;
}

const daysIn = (month: string) =>
  new Date(Date.UTC(Number(month.slice(0, 4)), Number(month.slice(5, 7)), 0)).getUTCDate();

/** Log storage once per month (the collector reports GB-month); NAT spread over the days, summing exactly. */
export function demoEvents(now = new Date()): DemoEvent[] {
  const events: DemoEvent[] = [];
  for (const customer of demoCustomers) {
    const tag = customer.id.slice(-4);
    for (const [i, [logs, nat]] of customer.usage.entries()) {
      const month = monthStart(i - DEMO_MONTHS, now);
      const days = daysIn(month);
      const current = month === monthStart(0, now);
      const lastDay = current ? now.getUTCDate() : days;
      events.push({
        event_id: `demo-${tag}-logs-${month}`,
        customer_id: customer.id,
        metric: "log_storage_gb_month",
        quantity: String(logs),
        occurred_at: `${month}T00:00:00Z`,
      });
      for (let day = 1; day <= lastDay; day++) {
        const date = `${month.slice(0, 8)}${String(day).padStart(2, "0")}`;
        const quantity = Math.floor(nat / days) + (day <= nat % days ? 1 : 0);
        const at =
          current && day === lastDay
            ? new Date(Math.min(now.getTime(), Date.parse(`${date}T12:00:00Z`))).toISOString()
            : `${date}T12:00:00Z`;
        events.push({
          event_id: `demo-${tag}-nat-${date}`,
          customer_id: customer.id,
          metric: "nat_processing_gb",
          quantity: String(quantity),
          occurred_at: at,
        });
      }
    }
  }
  return events;
}

export async function seedDemoBilling(
  jobsUrl: string,
  now = new Date(),
): Promise<{ accepted: number; invoices: number }> {
  const client = new pg.Client({ connectionString: jobsUrl });
  await client.connect();
  try {
    let accepted = 0;
    const events = demoEvents(now);
    for (let i = 0; i < events.length; i += 1000) {
      const { rows } = await client.query("SELECT app.ingest_usage($1::jsonb) AS outcome", [
        JSON.stringify(events.slice(i, i + 1000)),
      ]);
      const outcome = rows[0].outcome as { results?: { status: string }[]; errors?: unknown[] };
      if (outcome.errors) throw new Error(`demo usage refused: ${JSON.stringify(outcome.errors)}`);
      accepted += outcome.results!.filter((r) => r.status === "accepted").length;
    }

    const db = drizzle({ client });
    const transact: Transact = async (work) => {
      await client.query("BEGIN");
      try {
        const result = await work(db);
        await client.query("COMMIT");
        return result;
      } catch (error) {
        await client.query("ROLLBACK");
        throw error;
      }
    };
    const ids = demoCustomers.map((c) => c.id);
    let invoices = 0;
    for (let offset = -DEMO_MONTHS; offset < 0; offset++) {
      const periodStart = monthStart(offset, now);
      const { rows } = await client.query(
        "SELECT count(*)::int AS n FROM invoices WHERE customer_id = ANY ($1::uuid[]) AND period_start = $2",
        [ids, periodStart],
      );
      if (rows[0].n >= ids.length) continue;
      const run = await runBilling(transact, {
        periodStart,
        trigger: "manual",
        requestedBy: "npm run dev (demo seed)",
      });
      if (run.status !== "succeeded")
        throw new Error(`demo billing run for ${periodStart} ended ${run.status}: ${run.error}`);
      invoices += run.customersBilled;
    }
    return { accepted, invoices };
  } finally {
    await client.end();
  }
}
