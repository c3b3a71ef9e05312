// One archived audit event as a JSON Lines record (docs/audit-retention.md): the columns the
// hash chain covers, in the exact text Postgres hashes (app.audit_canonical, migration 0005), so
// the chain can be recomputed from an archive object alone. `data` stays jsonb's own text.
import { sql } from "drizzle-orm";
import { toHex } from "../platform/encoding.ts";

export interface ArchivedEvent {
  id: string;
  customer_id: string;
  seq: number;
  occurred_at: string;
  actor_type: string;
  actor_id: string | null;
  action: string;
  resource_type: string;
  resource_id: string | null;
  request_id: string | null;
  ip: string | null;
  user_agent: string | null;
  summary: string;
  /** jsonb's text form, exactly as hashed. */
  data: string;
  prev_hash: string;
  hash: string;
}

export const ZERO_HASH = "0".repeat(64);

/** The SELECT list that yields ArchivedEvent rows (seq as text: bigint). */
export const archivedEventColumns = sql.raw(
  `id::text AS id, customer_id::text AS customer_id, seq::text AS seq,
   to_char(occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS occurred_at,
   actor_type, actor_id, action, resource_type, resource_id, request_id, host(ip) AS ip, user_agent,
   summary, data::text AS data, encode(prev_hash, 'hex') AS prev_hash, encode(hash, 'hex') AS hash`,
);

export type ArchivedEventRow = Omit<ArchivedEvent, "seq"> & { seq: string | number };

export const toArchivedEvent = (row: ArchivedEventRow): ArchivedEvent => ({ ...row, seq: Number(row.seq) });

const encoder = new TextEncoder();

/** SHA-256 (hex) of the event's canonical form: the same bytes app.audit_canonical builds. */
export async function canonicalHash(e: ArchivedEvent): Promise<string> {
  const canonical = [
    e.id,
    e.customer_id,
    String(e.seq),
    e.occurred_at,
    e.actor_type,
    e.actor_id ?? "",
    e.action,
    e.resource_type,
    e.resource_id ?? "",
    e.request_id ?? "",
    e.ip ?? "",
    e.user_agent ?? "",
    e.summary,
    e.data,
    e.prev_hash,
  ].join("\x1f");
  return toHex(new Uint8Array(await crypto.subtle.digest("SHA-256", encoder.encode(canonical))));
}

/** UTC day of an exact timestamp string, e.g. "2026-01-31". */
export const dayOf = (occurredAt: string) => occurredAt.slice(0, 10);

/** R2 key of one object: per customer and UTC day; the first seq keeps a late event's object apart. */
export const archiveKey = (customerId: string, day: string, firstSeq: number) =>
  `audit/${customerId}/${day.slice(0, 4)}/${day.slice(5, 7)}/${day.slice(8, 10)}/${String(firstSeq).padStart(12, "0")}.jsonl.gz`;

/** Splits a decompressed byte stream into parsed JSON Lines, never holding more than one chunk. */
export async function* jsonLines(stream: ReadableStream<Uint8Array>): AsyncGenerator<ArchivedEvent> {
  const decoder = new TextDecoder();
  const reader = stream.pipeThrough(new DecompressionStream("gzip")).getReader();
  let rest = "";
  for (;;) {
    const { done, value } = await reader.read();
    rest += done ? decoder.decode() : decoder.decode(value, { stream: true });
    const lines = rest.split("\n");
    rest = lines.pop() ?? "";
    for (const line of lines) if (line.length > 0) yield JSON.parse(line) as ArchivedEvent;
    if (done) break;
  }
  if (rest.trim().length > 0) yield JSON.parse(rest) as ArchivedEvent;
}
