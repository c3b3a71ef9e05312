// Billing section of `npm run bench` (also runnable alone: node dev/bench/billing.ts).
// For each size (default 1,000 / 10,000 / 100,000 customers, BENCH_BILLING_SIZES to change) it
// generates customers across the four tiers and a month of realistic usage set-based in SQL
// (one log-storage event and a NAT event every third day per customer, rolled up into
// usage_daily/usage_monthly the way ingest does; 10 % of them change tier mid-month), then times the real billing run
// (worker/billing/runs.ts on the sb_jobs role, default batch size) and counts what it wrote.
import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { drizzle } from "drizzle-orm/node-postgres";
import pg from "pg";
import { startLocalStack } from "../local-stack.ts";
import { DEFAULT_BATCH_SIZE, runBilling, type Transact } from "../../worker/billing/runs.ts";

export interface BillingBenchRow {
  customers: number;
  events: number;
  seconds: number;
  invoices: number;
  rowsWritten: number;
}

export async function generate(admin: pg.Client, size: number, month: string): Promise<number> {
  // Earlier sizes' customers are closed, so each run bills exactly `size` customers.
  await admin.query(
    "UPDATE customers SET status = 'closed' WHERE email LIKE 'bench-%@example.com' AND status = 'active'",
  );
  const tag = `${size}-${month}`;
  await admin.query(
    `INSERT INTO customers (name, email, tier, created_at, tax_rate_bps)
     SELECT 'Bench ' || g, 'bench-' || $2 || '-' || g || '@example.com',
            (ARRAY['standard', 'fintech', 'healthcare', 'gov_federal'])[1 + g % 4], $3::date - 40, 700 + (g % 5) * 50
     FROM generate_series(1, $1::int) AS g`,
    [size, tag, month],
  );
  const { rowCount } = await admin.query(
    `INSERT INTO usage_events (customer_id, event_id, metric, quantity, occurred_at)
     SELECT c.id, 'logs-' || $2, 'log_storage_gb_month', round((random() * 2000)::numeric, 3), $2::date
     FROM customers c WHERE c.email LIKE 'bench-' || $1 || '-%'
     UNION ALL
     SELECT c.id, 'nat-' || d::date, 'nat_processing_gb', round((random() * 400)::numeric, 6), d + interval '13 hours'
     FROM customers c, generate_series($2::date, $2::date + interval '1 month' - interval '1 day', interval '3 days') AS d
     WHERE c.email LIKE 'bench-' || $1 || '-%'`,
    [tag, month],
  );
  await admin.query(
    `INSERT INTO usage_daily (customer_id, metric, day, quantity, events)
     SELECT customer_id, metric, (occurred_at AT TIME ZONE 'UTC')::date, sum(quantity), count(*) FROM usage_events
     WHERE occurred_at >= $1::date AND occurred_at < $1::date + interval '1 month' GROUP BY 1, 2, 3
     ON CONFLICT (customer_id, metric, day) DO UPDATE SET quantity = excluded.quantity, events = excluded.events`,
    [month],
  );
  await admin.query(
    `INSERT INTO usage_monthly (customer_id, metric, month, quantity, events)
     SELECT customer_id, metric, $1::date, sum(quantity), count(*) FROM usage_events
     WHERE occurred_at >= $1::date AND occurred_at < $1::date + interval '1 month' GROUP BY 1, 2
     ON CONFLICT (customer_id, metric, month) DO UPDATE SET quantity = excluded.quantity, events = excluded.events`,
    [month],
  );
  await changeTiers(admin, tag, month);
  await admin.query("ANALYZE");
  return rowCount ?? 0;
}

/**
 * Mid-month tier changes (docs/billing.md, "Proration"): every 10th customer moves one tier up on
 * the 15th, and every 30th moves once more on the 25th, so their invoices carry two or three
 * prorated base-fee lines. The changes go through the real trigger, then are dated into the month.
 */
async function changeTiers(admin: pg.Client, tag: string, month: string): Promise<void> {
  const next = `(ARRAY['fintech', 'healthcare', 'gov_federal', 'standard'])[array_position(ARRAY['standard', 'fintech', 'healthcare', 'gov_federal'], tier)]`;
  for (const [every, day] of [
    [10, 14],
    [30, 24],
  ] as const) {
    await admin.query(
      `UPDATE customers SET tier = ${next}
       WHERE email LIKE 'bench-' || $1 || '-%' AND substring(email FROM '-([0-9]+)@')::int % $2 = 0`,
      [tag, every],
    );
    await admin.query(
      `UPDATE customer_tier_changes t SET effective_at = $2::date + make_interval(days => $3, hours => 10)
       FROM customers c WHERE c.id = t.customer_id AND c.email LIKE 'bench-' || $1 || '-%' AND t.effective_at > $2::date + interval '1 month'`,
      [tag, month, day],
    );
  }
}

const count = async (admin: pg.Client, sql: string, values: unknown[]) =>
  Number((await admin.query(sql, values)).rows[0].n);

export async function benchBilling(sizes: number[]): Promise<string> {
  const pgDir = await mkdtemp(join(tmpdir(), "securebase-bench-billing-pg-"));
  const stack = await startLocalStack({
    dataDir: pgDir,
    pgPort: 50000 + Math.floor(Math.random() * 5000),
    database: "bench_billing",
    persistent: false,
    contextKey: `bench:${randomBytes(32).toString("base64url")}`,
  });
  const admin = new pg.Client({ connectionString: stack.adminUrl });
  const jobs = new pg.Client({ connectionString: stack.jobsUrl });
  await admin.connect();
  await jobs.connect();
  const db = drizzle({ client: jobs });
  let batchTimes: number[] = [];
  const transact: Transact = async (work) => {
    const started = performance.now();
    await jobs.query("BEGIN");
    try {
      const result = await work(db);
      await jobs.query("COMMIT");
      batchTimes.push(performance.now() - started);
      return result;
    } catch (error) {
      await jobs.query("ROLLBACK");
      throw error;
    }
  };
  const rows: BillingBenchRow[] = [];
  try {
    for (const [i, size] of sizes.entries()) {
      const month = `2025-${String(i + 1).padStart(2, "0")}-01`;
      const events = await generate(admin, size, month);
      batchTimes = [];
      const started = performance.now();
      const run = await runBilling(transact, { periodStart: month, trigger: "manual", requestedBy: "bench" });
      const seconds = (performance.now() - started) / 1000;
      if (run.status !== "succeeded" || run.customersBilled !== size)
        throw new Error(`bench run for ${size}: ${run.status}, ${run.customersBilled} billed`);
      const lines = await count(
        admin,
        "SELECT count(*) AS n FROM invoice_line_items li JOIN invoices i ON i.id = li.invoice_id WHERE i.period_start = $1",
        [month],
      );
      // invoices + line items + one outbox event and one audit event per invoice
      rows.push({
        customers: size,
        events,
        seconds,
        invoices: run.customersBilled,
        rowsWritten: run.customersBilled * 3 + lines,
      });
      // Transactions are start, batches…, finish: is a batch slower late in the run than early?
      const batches = batchTimes.slice(1, -1);
      const tenth = Math.max(1, Math.floor(batches.length / 10));
      const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
      console.error(
        `billing bench: ${size} customers in ${seconds.toFixed(2)} s; ${batches.length} batches, ` +
          `first tenth ${mean(batches.slice(0, tenth)).toFixed(0)} ms/batch, last tenth ${mean(batches.slice(-tenth - 1, -1).length ? batches.slice(-tenth - 1, -1) : batches).toFixed(0)} ms/batch`,
      );
    }
  } finally {
    await jobs.end();
    await admin.end();
    await stack.stop();
    await rm(pgDir, { recursive: true, force: true });
  }
  return report(rows);
}

function report(rows: BillingBenchRow[]): string {
  const table = rows.map(
    (r) =>
      `| ${r.customers.toLocaleString("en-US")} | ${r.events.toLocaleString("en-US")} | ${r.seconds.toFixed(2)} s | ` +
      `${Math.round(r.invoices / r.seconds).toLocaleString("en-US")} | ${r.rowsWritten.toLocaleString("en-US")} | ${Math.round(r.rowsWritten / r.seconds).toLocaleString("en-US")} |`,
  );
  const by = (n: number) => rows.find((r) => r.customers === n);
  const ratio = by(100_000) && by(10_000) ? (by(100_000)!.seconds / by(10_000)!.seconds).toFixed(2) : "n/a";
  return `## Monthly billing run (sb_jobs role, batches of ${DEFAULT_BATCH_SIZE} customers)

| customers | usage events | wall time | invoices/s | rows written | rows/s |
|---|---|---|---|---|---|
${table.join("\n")}

Ratio 100k / 10k wall time: ${ratio} (10× the customers; ≤ 11 means linear).
Rows written = invoices + line items + one \`invoice.created\` outbox event and one audit event per invoice.
10 % of the customers change tier on the 15th and 3.3 % again on the 25th (prorated base-fee lines).
`;
}

if (import.meta.url === pathToFileURL(process.argv[1]!).href) {
  const sizes = (process.env.BENCH_BILLING_SIZES ?? "1000,10000,100000").split(",").map(Number);
  console.log(await benchBilling(sizes));
  process.exit(0);
}
