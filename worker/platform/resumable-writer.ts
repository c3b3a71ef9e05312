// An R2 object written across several invocations (docs/exports-closure.md, "Resuming"): the
// multipart upload's id and parts are a plain state the caller stores, and the bytes past the
// last whole part (less than one part) wait in a carry object of their own, under a fresh key per
// checkpoint, so a crash after a checkpoint cannot overwrite the carry an earlier, recorded state
// points at. Re-running from a recorded state uploads the same part numbers again, which R2
// overwrites: harmless. Memory: one part buffered at most, as ObjectWriter.
//
// The SHA-256 cannot be carried across invocations (a digest's state is not serializable), so
// finish() hashes the completed object by streaming it back: what is stored is what is hashed.
// An object that exists is complete (R2 shows a multipart object only once completed): a re-run
// that finds it after a crash between completing and recording it reads its entry back instead.
import type { WriterState } from "../../db/schema.ts";
import { PART_BYTES } from "./object-writer.ts";

const encoder = new TextEncoder();

function concat(chunks: Uint8Array[], size: number): Uint8Array {
  const out = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.length;
  }
  return out;
}

/** SHA-256 (hex), size and line count of a stored object, streamed; null if there is none. */
export async function readBack(
  bucket: R2Bucket,
  key: string,
): Promise<{ sha256: string; bytes: number; lines: number } | null> {
  const object = await bucket.get(key);
  if (!object) return null;
  const digest = new crypto.DigestStream("SHA-256");
  const hasher = digest.getWriter();
  const reader = object.body.getReader();
  let bytes = 0;
  let lines = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    await hasher.write(value);
    bytes += value.byteLength;
    for (let at = value.indexOf(10); at !== -1; at = value.indexOf(10, at + 1)) lines += 1;
  }
  await hasher.close();
  const sha256 = Array.from(new Uint8Array(await digest.digest), (b) => b.toString(16).padStart(2, "0")).join("");
  return { sha256, bytes, lines };
}

/** Removes the carry objects under `prefix` (once the objects they fed are recorded complete). */
export async function deleteCarries(bucket: R2Bucket, prefix: string): Promise<void> {
  let cursor: string | undefined;
  do {
    const listed = await bucket.list({ prefix, cursor });
    const carries = listed.objects.map((o) => o.key).filter((k) => k.includes(".carry-"));
    if (carries.length > 0) await bucket.delete(carries);
    cursor = listed.truncated ? listed.cursor : undefined;
  } while (cursor);
}

export class ResumableWriter {
  #chunks: Uint8Array[] = [];
  #buffered = 0;
  #upload: R2MultipartUpload | null = null;
  readonly #state: WriterState;
  readonly #bucket: R2Bucket;
  readonly #partBytes: number;

  private constructor(bucket: R2Bucket, state: WriterState, partBytes: number) {
    this.#bucket = bucket;
    this.#state = state;
    this.#partBytes = partBytes;
  }

  /** A new object at `key`, or the one `state` describes (its upload resumed, its carry read back). */
  static async open(
    bucket: R2Bucket,
    key: string,
    state: WriterState | null,
    partBytes = PART_BYTES,
  ): Promise<ResumableWriter> {
    const fresh: WriterState = { key, uploadId: null, parts: [], bytes: 0, carryKey: null, carryBytes: 0 };
    const writer = new ResumableWriter(bucket, state ? structuredClone(state) : fresh, partBytes);
    if (state?.uploadId) writer.#upload = bucket.resumeMultipartUpload(key, state.uploadId);
    if (state?.carryKey) {
      const carry = await bucket.get(state.carryKey);
      const bytes = carry ? new Uint8Array(await carry.arrayBuffer()) : null;
      if (bytes?.length !== state.carryBytes) throw new Error(`carry ${state.carryKey} is missing or torn`);
      writer.#chunks = [bytes];
      writer.#buffered = bytes.length;
    }
    return writer;
  }

  get bytes(): number {
    return this.#state.bytes;
  }

  async write(text: string): Promise<void> {
    const bytes = encoder.encode(text);
    this.#chunks.push(bytes);
    this.#buffered += bytes.length;
    this.#state.bytes += bytes.length;
    while (this.#buffered >= this.#partBytes) await this.#uploadPart(this.#partBytes);
  }

  async #uploadPart(size: number): Promise<void> {
    const all = concat(this.#chunks, this.#buffered);
    if (!this.#upload) {
      this.#upload = await this.#bucket.createMultipartUpload(this.#state.key);
      this.#state.uploadId = this.#upload.uploadId;
    }
    const part = await this.#upload.uploadPart(this.#state.parts.length + 1, all.subarray(0, size));
    this.#state.parts.push({ partNumber: part.partNumber, etag: part.etag });
    const rest = all.slice(size);
    this.#chunks = rest.length > 0 ? [rest] : [];
    this.#buffered = rest.length;
  }

  /** Stores the bytes past the last part as a new carry object; returns the state to record. */
  async checkpoint(): Promise<WriterState> {
    if (this.#buffered > 0) {
      const carryKey = `${this.#state.key}.carry-${crypto.randomUUID()}`;
      await this.#bucket.put(carryKey, concat(this.#chunks, this.#buffered));
      this.#state.carryKey = carryKey;
    } else {
      this.#state.carryKey = null;
    }
    this.#state.carryBytes = this.#buffered;
    return structuredClone(this.#state);
  }

  /**
   * Completes the object and returns its size and SHA-256 (hex). Its carries stay: until the
   * caller has recorded the object complete, a re-run may still resume from one (deleteCarries).
   */
  async finish(): Promise<{ key: string; bytes: number; sha256: string }> {
    const { key } = this.#state;
    if (!this.#upload) {
      await this.#bucket.put(key, concat(this.#chunks, this.#buffered));
    } else {
      if (this.#buffered > 0) await this.#uploadPart(this.#buffered);
      await this.#upload.complete(this.#state.parts);
    }
    const stored = await readBack(this.#bucket, key);
    if (!stored || stored.bytes !== this.#state.bytes) throw new Error(`object ${key} was not stored whole`);
    return { key, bytes: stored.bytes, sha256: stored.sha256 };
  }
}
