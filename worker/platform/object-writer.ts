// Writes one R2 object from many small writes without holding it in memory: bytes are buffered
// up to one part (R2 multipart: every part but the last has the same size, at least 5 MiB) and
// hashed as they pass (SHA-256 via DigestStream), so an export of any size costs one part of
// memory. An object smaller than a part is written with one put.

export const PART_BYTES = 5 * 1024 * 1024;

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

export interface WrittenObject {
  key: string;
  bytes: number;
  sha256: string;
}

export class ObjectWriter {
  #chunks: Uint8Array[] = [];
  #buffered = 0;
  #bytes = 0;
  #upload?: R2MultipartUpload;
  #parts: R2UploadedPart[] = [];
  readonly #digest = new crypto.DigestStream("SHA-256");
  readonly #hasher = this.#digest.getWriter();

  readonly bucket: R2Bucket;
  readonly key: string;
  readonly partBytes: number;

  constructor(bucket: R2Bucket, key: string, partBytes = PART_BYTES) {
    this.bucket = bucket;
    this.key = key;
    this.partBytes = partBytes;
  }

  async write(text: string): Promise<void> {
    const bytes = encoder.encode(text);
    await this.#hasher.write(bytes);
    this.#chunks.push(bytes);
    this.#buffered += bytes.length;
    this.#bytes += bytes.length;
    while (this.#buffered >= this.partBytes) await this.#uploadPart(this.partBytes);
  }

  async #uploadPart(size: number): Promise<void> {
    const all = concat(this.#chunks, this.#buffered);
    this.#upload ??= await this.bucket.createMultipartUpload(this.key);
    this.#parts.push(await this.#upload.uploadPart(this.#parts.length + 1, all.subarray(0, size)));
    const rest = all.slice(size);
    this.#chunks = rest.length > 0 ? [rest] : [];
    this.#buffered = rest.length;
  }

  /** Completes the object (or aborts the upload if that fails); returns its size and SHA-256 (hex). */
  async finish(): Promise<WrittenObject> {
    await this.#hasher.close();
    const digest = new Uint8Array(await this.#digest.digest);
    const sha256 = Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join("");
    try {
      if (!this.#upload) {
        await this.bucket.put(this.key, concat(this.#chunks, this.#buffered));
      } else {
        if (this.#buffered > 0) await this.#uploadPart(this.#buffered);
        await this.#upload.complete(this.#parts);
      }
    } catch (error) {
      await this.#upload?.abort().catch(() => undefined);
      throw error;
    }
    return { key: this.key, bytes: this.#bytes, sha256 };
  }
}
