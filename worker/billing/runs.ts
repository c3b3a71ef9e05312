// The monthly billing run. The work is in SQL (migration 0013): a run is one `start`, then a
// few statements per batch of customers (app.billing_run_batch: lock the year's invoice
// counter, price every pending customer of the batch with app.billing_lines, insert invoices,
// line items, outbox and audit events), then `finish`. Each batch is its own transaction, so a
// crash loses at most the batch in flight, and the next run for the period bills exactly the
// customers still without an invoice (the unique (customer_id, period_start) constraint makes a
// second invoice impossible, whatever runs overlap).
import { sql } from "drizzle-orm";
import type { SqlRunner } from "./pricing.ts";

/** Runs `work` in its own transaction (jobs role, or a staff context on the request role). */
export type Transact = <T>(work: (db: SqlRunner) => Promise<T>) => Promise<T>;

export const DEFAULT_BATCH_SIZE = 500;

export interface BillingRun {
  id: string;
  periodStart: string;
  periodEnd: string;
  status: "running" | "succeeded" | "partial" | "failed";
  dryRun: boolean;
  trigger: "cron" | "manual";
  requestedBy: string | null;
  customersBilled: number;
  customersFailed: number;
  totalCents: number;
  error: string | null;
  errors: { customer_id: string; sqlstate: string; error: string }[];
  startedAt: Date;
  finishedAt: Date | null;
}

const RUN_COLUMNS =
  sql.raw(`id, period_start::text AS period_start, (period_start + interval '1 month')::date::text AS period_end,
  status, dry_run, trigger, requested_by, customers_billed, customers_failed, total_cents, error, errors, started_at, finished_at`);

function toRun(row: Record<string, unknown>): BillingRun {
  return {
    id: String(row.id),
    periodStart: String(row.period_start),
    periodEnd: String(row.period_end),
    status: row.status as BillingRun["status"],
    dryRun: Boolean(row.dry_run),
    trigger: row.trigger as BillingRun["trigger"],
    requestedBy: (row.requested_by as string | null) ?? null,
    customersBilled: Number(row.customers_billed),
    customersFailed: Number(row.customers_failed),
    totalCents: Number(row.total_cents),
    error: (row.error as string | null) ?? null,
    errors: (typeof row.errors === "string" ? JSON.parse(row.errors) : row.errors) as BillingRun["errors"],
    startedAt: new Date(row.started_at as string),
    finishedAt: row.finished_at ? new Date(row.finished_at as string) : null,
  };
}

/** Drizzle wraps driver errors ("Failed query: …"); the run records Postgres' own message. */
function databaseMessage(error: unknown): string {
  const cause = error instanceof Error && error.cause instanceof Error ? error.cause : error;
  return cause instanceof Error ? cause.message : String(cause);
}

export interface RunOptions {
  periodStart: string;
  dryRun?: boolean;
  trigger: "cron" | "manual";
  requestedBy?: string | null;
  batchSize?: number;
}

/**
 * Bills (or, dry, prices) every active customer for a closed month. Returns the finished run:
 * `succeeded`, `partial` (some customers failed; listed in `errors`, the others are invoiced) or
 * `failed` (stopped by an error; billed batches stay billed, a re-run finishes the rest).
 */
export async function runBilling(transact: Transact, options: RunOptions): Promise<BillingRun> {
  const started = await transact((db) => startBillingRun(db, options));
  return continueBillingRun(transact, started, options.batchSize);
}

/** Records a new run for a closed month (`running`); its batches follow in continueBillingRun. */
export async function startBillingRun(db: SqlRunner, options: RunOptions): Promise<BillingRun> {
  const { rows } = await db.execute(sql`
    SELECT ${RUN_COLUMNS} FROM app.start_billing_run(${options.periodStart}::date, ${options.dryRun ?? false},
      ${options.trigger}, ${options.requestedBy ?? null})`);
  return toRun(rows[0]!);
}

/** Bills the run's customers batch by batch (one transaction each), then records how it ended. */
export async function continueBillingRun(
  transact: Transact,
  run: BillingRun,
  batchSize = DEFAULT_BATCH_SIZE,
): Promise<BillingRun> {
  let after: string | null = null;
  let failure: string | null = null;
  try {
    for (;;) {
      const batch: { examined: number; last: string | null } = await transact(async (db) => {
        const { rows } = await db.execute(
          sql`SELECT examined, last_customer FROM app.billing_run_batch(${run.id}::uuid, ${after}::uuid, ${batchSize}::integer)`,
        );
        return { examined: Number(rows[0]!.examined), last: (rows[0]!.last_customer as string | null) ?? null };
      });
      if (batch.examined < batchSize || batch.last === null) break;
      after = batch.last;
    }
  } catch (error) {
    failure = databaseMessage(error);
  }
  return transact(async (db) => {
    const { rows } = await db.execute(
      sql`SELECT ${RUN_COLUMNS} FROM app.finish_billing_run(${run.id}::uuid, ${failure})`,
    );
    return toRun(rows[0]!);
  });
}

/** Runs newest first (keyset on the UUIDv7 id), or the one run with `id`. */
export async function listBillingRuns(
  db: SqlRunner,
  page: { limit: number; startingAfter?: string; id?: string },
): Promise<BillingRun[]> {
  const { rows } = await db.execute(sql`
    SELECT ${RUN_COLUMNS} FROM app.billing_runs_page(${page.startingAfter ?? null}::uuid, ${page.limit}::integer, ${page.id ?? null}::uuid)`);
  return rows.map(toRun);
}
