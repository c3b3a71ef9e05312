// Customer data export (docs/exports-closure.md): every row the customer owns, as JSON Lines per
// table in the R2 bucket of its jurisdiction (exports/<customer>/<export id>/<table>.jsonl), and a
// manifest (table → rows, bytes, SHA-256). The tables come from the catalog — every public table
// with a customer_id column, and customers itself — so a table added later is exported too.
//
// Memory: rows are read in keyset pages (primary key order) of EXPORT_PAGE_ROWS, each page in its
// own read transaction under the customer's signed context, and written through ResumableWriter
// (one multipart part buffered at most). The work runs as queue messages, one bounded slice each
// (./export-slices.ts): a retried or re-queued slice resumes from the progress in the row.
import { and, eq, sql } from "drizzle-orm";
import { customerExports, customers, type ExportedTable } from "../../db/schema.ts";
import type { Env } from "../env.ts";
import { type Database, type RequestDatabase, withJobsDatabase } from "../platform/database.ts";
import { type DataJurisdiction, recordsBucket } from "../platform/records-store.ts";
import type { TenantContext } from "../platform/tenant-context.ts";
import { notify } from "../notifications/notify.ts";
import { sendDueEmails } from "../notifications/email.ts";

export const EXPORT_PAGE_ROWS = 1000;
/** How long a finished export can be downloaded. */
export const EXPORT_DOWNLOAD_HOURS = 24;

export type ExportRow = typeof customerExports.$inferSelect;

export interface CatalogTable {
  name: string;
  /** Columns the request role may read: credentials (token hashes, sealed secrets) are not exported. */
  columns: string[];
  /** Primary-key columns (keyset order); empty: the table has none, so ctid orders it. */
  key: string[];
  /** The column naming the owner: customer_id, or id for customers. */
  owner: string;
}

export const objectKey = (customerId: string, exportId: string, file: string) =>
  `exports/${customerId}/${exportId}/${file}`;

/** Every tenant table, from the catalog (the same rule as test/helpers/catalog.ts). */
export async function tenantCatalog(db: Database): Promise<CatalogTable[]> {
  const { rows } = await db.execute(sql`
    SELECT c.relname AS name,
           coalesce((SELECT array_agg(a.attname::text ORDER BY a.attnum) FROM pg_attribute a
                     WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
                       AND has_column_privilege(c.oid, a.attnum, 'SELECT')), '{}') AS columns,
           coalesce((SELECT array_agg(a.attname::text ORDER BY array_position(i.indkey::int2[], a.attnum))
                     FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY (i.indkey)
                     WHERE i.indrelid = c.oid AND i.indisprimary), '{}') AS key
    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p')
      AND (c.relname = 'customers' OR EXISTS (
        SELECT 1 FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attname = 'customer_id' AND NOT a.attisdropped))
    ORDER BY 1`);
  return rows.map((row) => {
    const name = String(row.name);
    const columns = row.columns as string[];
    const key = row.key as string[];
    return {
      name,
      columns,
      // A key the role cannot read cannot order pages: fall back to ctid.
      key: key.every((k) => columns.includes(k)) ? key : [],
      owner: name === "customers" ? "id" : "customer_id",
    };
  });
}

/** One keyset page: the JSON line of each row and the key to continue after. */
export async function page(
  db: Database,
  table: CatalogTable,
  customerId: string,
  after: string[] | null,
): Promise<{ lines: string[]; last: string[] | null }> {
  const t = sql.identifier(table.name);
  const cols = sql.join(
    table.columns.map((c) => sql`t.${sql.identifier(c)}`),
    sql`, `,
  );
  const keys = table.key.length > 0 ? table.key.map((k) => sql`t.${sql.identifier(k)}`) : [sql`t.ctid`];
  const keyList = sql.join(keys, sql`, `);
  const keyText = sql.join(
    keys.map((k) => sql`${k}::text`),
    sql`, `,
  );
  const afterValues =
    after === null
      ? undefined
      : table.key.length > 0
        ? sql`(${keyList}) > (${sql.join(
            after.map((v) => sql`${v}`),
            sql`, `,
          )})`
        : sql`t.ctid > ${after[0]}::tid`;
  const { rows } = await db.execute(sql`
    SELECT (SELECT row_to_json(r) FROM (SELECT ${cols}) r)::text AS line, ARRAY[${keyText}] AS k
    FROM ${t} t
    WHERE t.${sql.identifier(table.owner)} = ${customerId}::uuid ${afterValues ? sql`AND ${afterValues}` : sql``}
    ORDER BY ${keyList} LIMIT ${EXPORT_PAGE_ROWS}`);
  const lines = rows.map((r) => String(r.line));
  const last = rows.length > 0 ? (rows.at(-1)!.k as string[]) : null;
  return { lines, last };
}

/** Records a new export of the caller's customer (status pending). */
export async function createExport(db: Database, customerId: string, requestedBy: string | null): Promise<ExportRow> {
  const [customer] = await db
    .select({ jurisdiction: customers.dataJurisdiction })
    .from(customers)
    .where(eq(customers.id, customerId));
  const [row] = await db
    .insert(customerExports)
    .values({ customerId, requestedBy, jurisdiction: customer!.jurisdiction, status: "pending" })
    .returning();
  return row!;
}

export async function getExport(db: Database, customerId: string, id: string): Promise<ExportRow | undefined> {
  const [row] = await db
    .select()
    .from(customerExports)
    .where(and(eq(customerExports.id, id), eq(customerExports.customerId, customerId)));
  return row;
}

/**
 * The last step of an export: the manifest (every catalog table; one the request role cannot
 * read at all holds credentials only, so it is listed as withheld), the export marked succeeded,
 * and the customer's admins notified (in-app and email).
 */
export async function finishExport(
  env: Env,
  database: RequestDatabase,
  context: TenantContext,
  current: ExportRow,
  tables: CatalogTable[],
  done: Record<string, ExportedTable>,
): Promise<ExportRow> {
  const exportId = current.id;
  const manifest = {
    export_id: exportId,
    customer_id: context.customerId,
    jurisdiction: current.jurisdiction,
    created_at: new Date().toISOString(),
    tables: Object.fromEntries(
      tables.map((t) => [t.name, done[t.name] ?? { rows: null, withheld: "credentials: not readable by the API" }]),
    ),
  };
  const bucket = recordsBucket(env, current.jurisdiction as DataJurisdiction);
  await bucket.put(objectKey(context.customerId, exportId, "manifest.json"), JSON.stringify(manifest, null, 2));
  const expiresAt = new Date(Date.now() + EXPORT_DOWNLOAD_HOURS * 3600_000);
  const finished = await database.tenant(context, "write", async (db) => {
    const [row] = await db
      .update(customerExports)
      .set({
        status: "succeeded",
        manifest,
        doneTables: done,
        progress: null,
        step: current.step + 1,
        leaseUntil: null,
        updatedAt: new Date(),
        completedAt: new Date(),
        expiresAt,
      })
      .where(and(eq(customerExports.id, exportId), eq(customerExports.step, current.step)))
      .returning();
    return row;
  });
  // Another consumer finished it first (its lease had expired): that one notified.
  if (!finished) return current;
  const rows = Object.values(done).reduce((sum, t) => sum + t.rows, 0);
  const emailIds = await withJobsDatabase(env, (db) =>
    notify(db, [
      {
        customerId: context.customerId,
        type: "export.ready",
        eventId: null,
        data: { export_id: exportId, tables: tables.length, rows, expires_at: expiresAt.toISOString() },
      },
    ]),
  );
  if (emailIds.length > 0) await sendDueEmails(env, emailIds);
  return finished;
}
