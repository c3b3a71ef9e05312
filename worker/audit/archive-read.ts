// Reading a period of the audit trail across both stores (docs/audit-retention.md): archived
// objects from R2 first, then hot rows, in chain (seq) order, one object or one page at a time.
// Export formats the events; verify recomputes every hash and link and names the first break.
import { and, asc, eq, gte, isNull, lt, sql } from "drizzle-orm";
import { auditArchives } from "../../db/schema.ts";
import type { Database } from "../platform/database.ts";
import { toHex } from "../platform/encoding.ts";
import {
  type ArchivedEvent,
  type ArchivedEventRow,
  archivedEventColumns,
  canonicalHash,
  jsonLines,
  toArchivedEvent,
} from "./archive-format.ts";

export type Reader = <T>(work: (db: Database) => Promise<T>) => Promise<T>;

interface Manifest {
  objectKey: string;
  firstSeq: number;
  lastSeq: number;
  firstPrevHash: string;
  lastHash: string;
}

export type PeriodItem =
  | { event: ArchivedEvent; archived: boolean; manifest?: Manifest }
  | { missing: Manifest; event?: undefined };

const PAGE_ROWS = 1000;

/** Events of [from, to) of the caller's customer, archived then hot, in seq order. */
export async function* periodEvents(
  read: Reader,
  bucket: R2Bucket,
  customerId: string,
  from: Date,
  to: Date,
): AsyncGenerator<PeriodItem> {
  const inPeriod = (e: ArchivedEvent) => {
    const at = Date.parse(e.occurred_at);
    return at >= from.getTime() && at < to.getTime();
  };
  const archives = await read((db) =>
    db
      .select()
      .from(auditArchives)
      .where(
        and(
          eq(auditArchives.customerId, customerId),
          isNull(auditArchives.expiredAt),
          gte(auditArchives.lastOccurredAt, from),
          lt(auditArchives.firstOccurredAt, to),
        ),
      )
      .orderBy(asc(auditArchives.firstSeq)),
  );
  let after = 0;
  for (const archive of archives) {
    const manifest: Manifest = {
      objectKey: archive.objectKey,
      firstSeq: archive.firstSeq,
      lastSeq: archive.lastSeq,
      firstPrevHash: toHex(archive.firstPrevHash),
      lastHash: toHex(archive.lastHash),
    };
    after = archive.lastSeq;
    const object = await bucket.get(archive.objectKey);
    if (!object) {
      yield { missing: manifest };
      continue;
    }
    for await (const event of jsonLines(object.body)) if (inPeriod(event)) yield { event, archived: true, manifest };
  }
  for (;;) {
    const rows = await read(async (db) =>
      (
        await db.execute<ArchivedEventRow>(sql`
          SELECT ${archivedEventColumns} FROM audit_events
          WHERE customer_id = ${customerId} AND seq > ${after}
            AND occurred_at >= ${from.toISOString()}::timestamptz AND occurred_at < ${to.toISOString()}::timestamptz
          ORDER BY audit_events.seq LIMIT ${PAGE_ROWS}`)
      ).rows.map(toArchivedEvent),
    );
    for (const event of rows) yield { event, archived: false };
    if (rows.length < PAGE_ROWS) return;
    after = rows.at(-1)!.seq;
  }
}

export interface PeriodVerification {
  valid: boolean;
  checked: number;
  archived_checked: number;
  first_broken: { seq: number; id: string | null; archived: boolean; reason: string } | null;
}

/** Recomputes each event's hash and its link to the previous one and to the archive manifest. */
export async function verifyPeriod(items: AsyncIterable<PeriodItem>): Promise<PeriodVerification> {
  let checked = 0;
  let archivedChecked = 0;
  let previous: ArchivedEvent | undefined;
  for await (const item of items) {
    if (!item.event) {
      const m = item.missing;
      return {
        valid: false,
        checked,
        archived_checked: archivedChecked,
        first_broken: { seq: m.firstSeq, id: null, archived: true, reason: `archive object ${m.objectKey} is missing` },
      };
    }
    const { event, archived, manifest } = item;
    checked += 1;
    if (archived) archivedChecked += 1;
    const broken = (reason: string): PeriodVerification => ({
      valid: false,
      checked,
      archived_checked: archivedChecked,
      first_broken: { seq: event.seq, id: event.id, archived, reason },
    });
    if (previous && event.seq !== previous.seq + 1) return broken(`sequence gap: expected ${previous.seq + 1}`);
    if (previous && event.prev_hash !== previous.hash) return broken("prev_hash does not match the previous event");
    if (manifest && event.seq === manifest.firstSeq && event.prev_hash !== manifest.firstPrevHash)
      return broken("prev_hash does not match the archive manifest");
    if ((await canonicalHash(event)) !== event.hash) return broken("hash does not match the event content");
    if (manifest && event.seq === manifest.lastSeq && event.hash !== manifest.lastHash)
      return broken("hash does not match the archive manifest");
    previous = event;
  }
  return { valid: true, checked, archived_checked: archivedChecked, first_broken: null };
}

export const exportFormats = ["jsonl", "csv"] as const;
export type ExportFormat = (typeof exportFormats)[number];

const CSV_COLUMNS = [
  "id",
  "seq",
  "occurred_at",
  "actor_type",
  "actor_id",
  "action",
  "resource_type",
  "resource_id",
  "request_id",
  "ip",
  "user_agent",
  "summary",
  "data",
  "prev_hash",
  "hash",
] as const;

const csvCell = (value: string | number | boolean | null) => `"${String(value ?? "").replaceAll('"', '""')}"`;

function formatLine(format: ExportFormat, event: ArchivedEvent, archived: boolean): string {
  if (format === "csv") return `${[...CSV_COLUMNS.map((c) => csvCell(event[c])), csvCell(archived)].join(",")}\r\n`;
  return `${JSON.stringify({
    id: event.id,
    object: "audit_event",
    seq: event.seq,
    occurred_at: event.occurred_at,
    actor: { type: event.actor_type, id: event.actor_id },
    action: event.action,
    resource: { type: event.resource_type, id: event.resource_id },
    request_id: event.request_id,
    ip: event.ip,
    user_agent: event.user_agent,
    summary: event.summary,
    data: JSON.parse(event.data) as unknown,
    prev_hash: event.prev_hash,
    hash: event.hash,
    archived,
  })}\n`;
}

/** A byte stream of the period, pulled as the client reads (a few hundred lines per pull). */
export function exportStream(
  items: AsyncGenerator<PeriodItem>,
  format: ExportFormat,
  done: () => Promise<void>,
): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  let header = format === "csv";
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      let chunk = "";
      if (header) {
        chunk = `${[...CSV_COLUMNS, "archived"].join(",")}\r\n`;
        header = false;
      }
      try {
        for (let n = 0; n < 500; n++) {
          const next = await items.next();
          if (next.done) {
            if (chunk) controller.enqueue(encoder.encode(chunk));
            controller.close();
            await done();
            return;
          }
          if (!next.value.event) throw new Error(`archive object ${next.value.missing.objectKey} is missing`);
          chunk += formatLine(format, next.value.event, next.value.archived);
        }
        controller.enqueue(encoder.encode(chunk));
      } catch (error) {
        controller.error(error);
        await done();
      }
    },
    async cancel() {
      await items.return(undefined);
      await done();
    },
  });
}
