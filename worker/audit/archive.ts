// The daily audit archive job (docs/audit-retention.md): moves each customer's audit events older
// than the hot window to R2, one gzip JSON Lines object per UTC day, written from a stream in
// pages (multipart past 5 MiB), read back and hash-checked, then recorded in audit_archives and
// deleted from Postgres in one transaction, so an interrupted run simply rewrites that object
// next time. Then deletes archived objects past the tier's retention unless a legal hold applies.
import { eq, inArray, sql } from "drizzle-orm";
import { auditArchives, customers } from "../../db/schema.ts";
import type { Env } from "../env.ts";
import { type Database, withJobsDatabase, withJobsSession } from "../platform/database.ts";
import { toHex } from "../platform/encoding.ts";
import { type DataJurisdiction, recordsBucket } from "../platform/records-store.ts";
import {
  type ArchivedEvent,
  type ArchivedEventRow,
  archiveKey,
  archivedEventColumns,
  dayOf,
  toArchivedEvent,
} from "./archive-format.ts";

export const DEFAULT_AUDIT_HOT_DAYS = 90;
/** Rows per query: bounds what one page holds in memory. */
const PAGE_ROWS = 1000;
/** R2's minimum part size (all parts but the last). */
const PART_BYTES = 5 * 1024 * 1024;

export interface ArchiveOptions {
  /** Stop after about this many events (the next run resumes); bounds one invocation's time. */
  maxEvents?: number;
}

export interface ArchiveReport extends Record<string, unknown> {
  archived_objects: number;
  archived_events: number;
  expired_objects: number;
  /** True when the budget ran out before every due event was archived. */
  more: boolean;
}

/**
 * The customer's data jurisdiction, which picks the R2 bucket.
 * The customer's data jurisdiction (customers.data_jurisdiction, fixed at onboarding: docs/residency.md).
 */
export async function customerJurisdiction(db: Database, customerId: string): Promise<DataJurisdiction> {
  const [row] = await db
    .select({ jurisdiction: customers.dataJurisdiction })
    .from(customers)
    .where(eq(customers.id, customerId));
  return row?.jurisdiction ?? "us";
}

export function hotWindowDays(env: Pick<Env, "AUDIT_HOT_DAYS">): number {
  const days = Number(env.AUDIT_HOT_DAYS);
  return Number.isInteger(days) && days > 0 ? days : DEFAULT_AUDIT_HOT_DAYS;
}

type Transact = <R>(fn: (db: Database) => Promise<R>) => Promise<R>;

export async function archiveAuditEvents(env: Env, now: Date, options: ArchiveOptions = {}): Promise<ArchiveReport> {
  const dayMs = 86_400_000;
  // Whole UTC days only: a day's object is written once, after the day has left the window.
  const cutoff = new Date(Math.floor((now.getTime() - hotWindowDays(env) * dayMs) / dayMs) * dayMs);
  let budget = options.maxEvents ?? 2_000_000;
  const report: ArchiveReport = { archived_objects: 0, archived_events: 0, expired_objects: 0, more: false };
  await withJobsSession(env, async (transact) => {
    const due = await transact((db) =>
      db.execute<{ customer_id: string; through: string | null; after: string | null }>(sql`
        SELECT c.id::text AS customer_id,
          (SELECT max(seq) FROM audit_events e WHERE e.customer_id = c.id AND e.occurred_at < ${cutoff.toISOString()}::timestamptz) AS through,
          (SELECT max(last_seq) FROM audit_archives a WHERE a.customer_id = c.id) AS after
        FROM customers c ORDER BY c.id`),
    );
    for (const row of due.rows) {
      if (row.through === null) continue;
      const through = Number(row.through);
      let after = Number(row.after ?? 0);
      const jurisdiction = await transact((db) => customerJurisdiction(db, row.customer_id));
      while (after < through) {
        if (budget <= 0) {
          report.more = true;
          return;
        }
        const written = await archiveOneObject(env, transact, row.customer_id, jurisdiction, after, through);
        if (!written) break;
        budget -= written;
        report.archived_objects += 1;
        report.archived_events += written;
        after += written;
      }
    }
  });
  report.expired_objects = await expireArchives(env, now);
  return report;
}

/** Writes the events after `after` of one UTC day (up to `through`); returns how many. */
async function archiveOneObject(
  env: Env,
  transact: Transact,
  customerId: string,
  jurisdiction: DataJurisdiction,
  after: number,
  through: number,
): Promise<number> {
  const page = (from: number) =>
    transact(async (db) =>
      (
        await db.execute<ArchivedEventRow>(sql`
          SELECT ${archivedEventColumns} FROM audit_events
          WHERE customer_id = ${customerId} AND seq > ${from} AND seq <= ${through}
          ORDER BY audit_events.seq LIMIT ${PAGE_ROWS}`)
      ).rows.map(toArchivedEvent),
    );
  let rows = await page(after);
  const first = rows[0];
  if (!first) return 0;
  const day = dayOf(first.occurred_at);
  const key = archiveKey(customerId, day, first.seq);
  const bucket = recordsBucket(env, jurisdiction);
  const writer = new GzipObjectWriter(bucket, key, {
    customer_id: customerId,
    first_seq: String(first.seq),
    first_prev_hash: first.prev_hash,
  });
  let last: ArchivedEvent = first;
  let expected = first.seq;
  for (;;) {
    const lines: string[] = [];
    let dayEnded = false;
    for (const event of rows) {
      // A later day starts the next object (events keep seq order; a late one stays with its run).
      if (dayOf(event.occurred_at) > day || event.seq !== expected) {
        dayEnded = true;
        break;
      }
      lines.push(JSON.stringify(event));
      last = event;
      expected += 1;
    }
    if (lines.length > 0) await writer.write(`${lines.join("\n")}\n`);
    if (dayEnded || rows.length < PAGE_ROWS || last.seq >= through) break;
    rows = await page(last.seq);
  }
  const { sha256, bytes } = await writer.close({ last_seq: String(last.seq), last_hash: last.hash });

  // Read back before anything is deleted: the stored bytes must hash to what was written.
  const stored = await bucket.get(key);
  if (!stored) throw new Error(`audit archive ${key} was not found after writing it`);
  const digest = new crypto.DigestStream("SHA-256");
  await stored.body.pipeTo(digest);
  if (toHex(new Uint8Array(await digest.digest)) !== sha256)
    throw new Error(`audit archive ${key} does not read back as written`);

  const count = last.seq - first.seq + 1;
  await transact(async (db) => {
    await db.execute(sql`
      INSERT INTO audit_archives (customer_id, day, jurisdiction, object_key, first_seq, last_seq, event_count,
        first_prev_hash, last_hash, first_occurred_at, last_occurred_at, sha256, bytes, purged_at)
      VALUES (${customerId}, ${day}, ${jurisdiction}, ${key}, ${first.seq}, ${last.seq}, ${count},
        decode(${first.prev_hash}, 'hex'), decode(${last.hash}, 'hex'), ${first.occurred_at}, ${last.occurred_at},
        decode(${sha256}, 'hex'), ${bytes}, now())`);
    // The chain trigger lets exactly the rows this manifest row covers go (migration 0190).
    await db.execute(
      sql`DELETE FROM audit_events WHERE customer_id = ${customerId} AND seq BETWEEN ${first.seq} AND ${last.seq}`,
    );
  });
  return count;
}

/**
 * gzip through CompressionStream into one R2 object: kept in memory only up to one 5 MiB part;
 * past that it becomes a multipart upload. SHA-256 of the stored bytes is computed on the way.
 */
class GzipObjectWriter {
  readonly #gzip = new CompressionStream("gzip");
  readonly #input = this.#gzip.writable.getWriter();
  readonly #digest = new crypto.DigestStream("SHA-256");
  readonly #digestWriter = this.#digest.getWriter();
  readonly #encoder = new TextEncoder();
  readonly #pump: Promise<void>;
  #pending: Uint8Array[] = [];
  #pendingBytes = 0;
  #bytes = 0;
  #upload?: R2MultipartUpload;
  readonly #parts: R2UploadedPart[] = [];
  #flushing: Promise<void> = Promise.resolve();

  readonly bucket: R2Bucket;
  readonly key: string;
  readonly metadata: Record<string, string>;

  constructor(bucket: R2Bucket, key: string, metadata: Record<string, string>) {
    this.bucket = bucket;
    this.key = key;
    this.metadata = metadata;
    this.#pump = (async () => {
      const reader = this.#gzip.readable.getReader();
      for (;;) {
        const { done, value } = await reader.read();
        if (done) return;
        this.#pending.push(value);
        this.#pendingBytes += value.byteLength;
        this.#bytes += value.byteLength;
        await this.#digestWriter.write(value);
        if (this.#pendingBytes >= PART_BYTES) {
          await this.#flushing;
          this.#flushing = this.#uploadPart();
        }
      }
    })();
  }

  async write(text: string): Promise<void> {
    await this.#input.ready;
    await this.#input.write(this.#encoder.encode(text));
    await this.#flushing;
  }

  #take(): Uint8Array {
    const all = new Uint8Array(this.#pendingBytes);
    let offset = 0;
    for (const chunk of this.#pending) {
      all.set(chunk, offset);
      offset += chunk.byteLength;
    }
    this.#pending = [];
    this.#pendingBytes = 0;
    return all;
  }

  async #uploadPart(): Promise<void> {
    const body = this.#take();
    this.#upload ??= await this.bucket.createMultipartUpload(this.key, {
      customMetadata: this.metadata,
      httpMetadata: { contentType: "application/jsonl", contentEncoding: "gzip" },
    });
    this.#parts.push(await this.#upload.uploadPart(this.#parts.length + 1, body));
  }

  async close(endMetadata: Record<string, string>): Promise<{ sha256: string; bytes: number }> {
    await this.#input.close();
    await this.#pump;
    await this.#flushing;
    await this.#digestWriter.close();
    const sha256 = toHex(new Uint8Array(await this.#digest.digest));
    if (this.#upload) {
      // A multipart object's metadata is fixed at its start: its end hashes live in the manifest.
      await this.#uploadPart();
      await this.#upload.complete(this.#parts);
    } else {
      await this.bucket.put(this.key, this.#take(), {
        customMetadata: { ...this.metadata, ...endMetadata },
        httpMetadata: { contentType: "application/jsonl", contentEncoding: "gzip" },
        sha256,
      });
    }
    return { sha256, bytes: this.#bytes };
  }
}

/** Deletes archived objects past the customer's tier retention, except under a legal hold. */
async function expireArchives(env: Env, now: Date): Promise<number> {
  let expired = 0;
  for (;;) {
    const batch = await withJobsDatabase(env, (db) =>
      db.execute<{ id: string; object_key: string; jurisdiction: DataJurisdiction }>(sql`
        SELECT a.id, a.object_key, a.jurisdiction FROM audit_archives a
        JOIN customers c ON c.id = a.customer_id JOIN tier_features t ON t.tier = c.tier
        WHERE a.expired_at IS NULL
          AND a.last_occurred_at < ${now.toISOString()}::timestamptz - make_interval(days => t.log_retention_days)
          AND NOT EXISTS (SELECT 1 FROM audit_legal_holds h WHERE h.customer_id = a.customer_id)
        ORDER BY a.customer_id, a.first_seq LIMIT 500`),
    );
    if (batch.rows.length === 0) return expired;
    for (const row of batch.rows) await recordsBucket(env, row.jurisdiction).delete(row.object_key);
    const ids = batch.rows.map((row) => row.id);
    await withJobsDatabase(env, (db) =>
      db.update(auditArchives).set({ expiredAt: new Date() }).where(inArray(auditArchives.id, ids)),
    );
    expired += ids.length;
  }
}
