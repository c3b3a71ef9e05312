// An export as a chain of queue messages (docs/exports-closure.md, "Resuming"). Each message
// runs one slice: at most EXPORT_SLICE_PAGES keyset pages, continuing the table it stopped in
// (progress: last key, rows, the R2 upload so far) and then the next tables, and records where it
// stopped in one conditional update (step = the message's step), then queues the next step.
// Whatever dies mid-slice leaves the recorded progress as it was, so the retried message (or the
// minute sweep's, ./export-queue.ts) redoes that slice: the R2 parts it rewrites are the same
// part numbers, and a step already recorded makes an old message do nothing.
import { and, eq, inArray, isNull, lt, or, sql } from "drizzle-orm";
import { customerExports, type ExportedTable, type ExportProgress } from "../../db/schema.ts";
import type { Env } from "../env.ts";
import { RequestDatabase, withJobsDatabase } from "../platform/database.ts";
import { type DataJurisdiction, recordsBucket } from "../platform/records-store.ts";
import { deleteCarries, readBack, ResumableWriter } from "../platform/resumable-writer.ts";
import type { TenantContext } from "../platform/tenant-context.ts";
import { EXPORT_PAGE_ROWS, type ExportRow, finishExport, objectKey, page, tenantCatalog } from "./exports.ts";

/** Pages one slice reads at most: 50,000 rows, well inside one queue invocation's limits. */
export const EXPORT_SLICE_PAGES = 50;
/** How long a slice holds its export; a slice takes seconds, so an expired lease means a dead consumer. */
export const EXPORT_LEASE_SECONDS = 180;

export interface SliceOptions {
  /** Pages this slice reads at most (default EXPORT_SLICE_PAGES). */
  pages?: number;
  /** Tests only: throw after this many pages, before the slice's progress is recorded (a crash mid-slice). */
  crashAfterPages?: number;
}

export type SliceOutcome =
  /** The message's step is recorded already, or the export is finished: nothing to do. */
  | { kind: "stale" }
  /** Another consumer holds this step's lease: try again later. */
  | { kind: "busy" }
  /** Progress recorded; the next step is due. */
  | { kind: "next"; step: number }
  | { kind: "done"; row: ExportRow };

const unfinished = ["pending", "running"] as const;

/** Runs the slice `step` of an export. Throws on failure, leaving the recorded progress as it was. */
export async function runExportSlice(
  env: Env,
  exportId: string,
  step: number,
  options: SliceOptions = {},
): Promise<SliceOutcome> {
  // The owner comes from the row (jobs role), never from the message.
  const [found] = await withJobsDatabase(env, (db) =>
    db
      .select({ customerId: customerExports.customerId, requestedBy: customerExports.requestedBy })
      .from(customerExports)
      .where(
        and(
          eq(customerExports.id, exportId),
          eq(customerExports.step, step),
          inArray(customerExports.status, [...unfinished]),
        ),
      ),
  );
  if (!found) return { kind: "stale" };
  // As the admin who asked: the same rows and columns the request role showed them.
  const context: TenantContext = {
    customerId: found.customerId,
    userId: found.requestedBy,
    role: "admin",
    superAdmin: false,
  };
  const database = new RequestDatabase(env);
  try {
    const current = await database.tenant(context, "write", async (db) => {
      const [row] = await db
        .update(customerExports)
        .set({
          status: "running",
          error: null,
          leaseUntil: sql`now() + make_interval(secs => ${EXPORT_LEASE_SECONDS})`,
          updatedAt: sql`now()`,
        })
        .where(
          and(
            eq(customerExports.id, exportId),
            eq(customerExports.step, step),
            inArray(customerExports.status, [...unfinished]),
            or(isNull(customerExports.leaseUntil), lt(customerExports.leaseUntil, sql`now()`)),
          ),
        )
        .returning();
      return row;
    });
    if (!current) return { kind: "busy" };
    try {
      return await slice(env, database, context, current, options);
    } catch (error) {
      // Let the retried message take it at once; the recorded progress is untouched.
      await database
        .tenant(context, "write", (db) =>
          db
            .update(customerExports)
            .set({ leaseUntil: null, error: errorText(error) })
            .where(and(eq(customerExports.id, exportId), eq(customerExports.step, step))),
        )
        .catch(() => undefined);
      throw error;
    }
  } finally {
    await database.close();
  }
}

async function slice(
  env: Env,
  database: RequestDatabase,
  context: TenantContext,
  current: ExportRow,
  options: SliceOptions,
): Promise<SliceOutcome> {
  const budget = options.pages ?? EXPORT_SLICE_PAGES;
  const bucket = recordsBucket(env, current.jurisdiction as DataJurisdiction);
  const tables = await database.tenant(context, "read", tenantCatalog);
  const done: Record<string, ExportedTable> = { ...current.doneTables };
  // A table the request role cannot read at all holds credentials only: listed, not exported.
  const todo = tables.filter((t) => t.columns.length > 0 && !done[t.name]);
  let progress: ExportProgress | null = current.progress;
  let pages = 0;
  for (const table of todo) {
    if (pages >= budget) break;
    const resumed = progress?.table === table.name ? progress : null;
    const key = objectKey(context.customerId, current.id, `${table.name}.jsonl`);
    // Completed by a slice that died before recording it: its entry is read back from R2.
    const stored = await readBack(bucket, key);
    if (stored) {
      done[table.name] = { key, rows: stored.lines, bytes: stored.bytes, sha256: stored.sha256 };
      progress = null;
      continue;
    }
    const writer = await ResumableWriter.open(bucket, key, resumed?.writer ?? null);
    let after = resumed ? resumed.after : null;
    let rows = resumed?.rows ?? 0;
    let complete = false;
    while (pages < budget) {
      const next = await database.tenant(context, "read", (db) => page(db, table, context.customerId, after));
      pages += 1;
      if (options.crashAfterPages !== undefined && pages > options.crashAfterPages) {
        throw new Error(`injected crash after ${options.crashAfterPages} page(s)`);
      }
      for (const line of next.lines) await writer.write(`${line}\n`);
      rows += next.lines.length;
      if (next.lines.length < EXPORT_PAGE_ROWS || next.last === null) {
        complete = true;
        break;
      }
      after = next.last;
    }
    if (complete) {
      const written = await writer.finish();
      done[table.name] = { key: written.key, rows, bytes: written.bytes, sha256: written.sha256 };
      progress = null;
    } else {
      progress = { table: table.name, after: after ?? [], rows, writer: await writer.checkpoint() };
    }
  }
  if (todo.every((t) => done[t.name])) {
    // Every object exists now, so a re-run reads them back and needs no carry.
    await deleteCarries(bucket, objectKey(context.customerId, current.id, ""));
    return { kind: "done", row: await finishExport(env, database, context, current, tables, done) };
  }
  const recorded = await database.tenant(context, "write", async (db) => {
    const [row] = await db
      .update(customerExports)
      .set({ doneTables: done, progress, step: current.step + 1, leaseUntil: null, updatedAt: sql`now()` })
      .where(and(eq(customerExports.id, current.id), eq(customerExports.step, current.step)))
      .returning({ step: customerExports.step });
    return row;
  });
  return recorded ? { kind: "next", step: recorded.step } : { kind: "stale" };
}

const errorText = (error: unknown) => (error instanceof Error ? error.message : String(error)).slice(0, 500);

/** Gives up on an export (a slice failed on every attempt): failed, with the last error. */
export async function failExport(env: Env, exportId: string, error: unknown): Promise<void> {
  const [found] = await withJobsDatabase(env, (db) =>
    db.select({ customerId: customerExports.customerId }).from(customerExports).where(eq(customerExports.id, exportId)),
  );
  if (!found) return;
  const database = new RequestDatabase(env);
  try {
    await database.tenant({ customerId: found.customerId }, "write", (db) =>
      db
        .update(customerExports)
        .set({ status: "failed", error: errorText(error), leaseUntil: null, updatedAt: sql`now()` })
        .where(and(eq(customerExports.id, exportId), inArray(customerExports.status, [...unfinished]))),
    );
  } finally {
    await database.close();
  }
}
