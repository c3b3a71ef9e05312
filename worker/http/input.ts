// What the API accepts as input, defined once. Every route declared with `secured()`/`open()`
// runs `inputGuard` before anything else, so a new route inherits these rules without asking:
// - text: no NUL (Postgres `text` cannot store it: SQLSTATE 22021) and no lone UTF-16 surrogate
//   (not well-formed Unicode; `jsonb` rejects its escape), in every body string and key, every
//   query value and the path;
// - bodies: bounded before they are parsed (413), JSON only (415), strict UTF-8 (400, never
//   decoded into U+FFFD), syntactically valid JSON (400), at most JSON_LIMITS.depth levels deep
//   and JSON_LIMITS.values keys + elements (400), checked on the text before it is parsed or walked;
// - lengths: every string schema is bounded — `text({ max })` for free text; a test reads the
//   OpenAPI document and fails for a request string without a bound.
import { z } from "@hono/zod-openapi";
import type { Context } from "hono";
import { bodyLimit } from "hono/body-limit";
import { createMiddleware } from "hono/factory";
import type { AppEnv } from "./context.ts";
import { problem, type FieldError } from "./problem.ts";

/** Body size limits by route kind, in bytes. */
export const BODY_LIMITS = {
  /** Every ordinary JSON route: the largest legitimate body (a user or key) is under 2 KiB. */
  standard: 64 * 1024,
  /** Batch ingestion (e.g. 1,000 usage events of ~300 bytes). */
  bulk: 1024 * 1024,
} as const;
export type BodyKind = keyof typeof BODY_LIMITS;

/**
 * Shape limits of a JSON body, checked on its text before anything parses or walks it: a walk over
 * 5,000 nested objects overflows the call stack (a 500). No request shape nests more than ~5
 * levels; the largest legitimate body (1,000 usage events of 7 fields) holds ~8,000 keys + elements.
 */
export const JSON_LIMITS = {
  depth: 32,
  values: { standard: 10_000, bulk: 100_000 } satisfies Record<BodyKind, number>,
} as const;

/** Why a string is not text the API accepts, or null when it is. */
export function textProblem(value: string): string | null {
  if (value.includes("\u0000")) return "must not contain the NUL character (U+0000)";
  if (!value.isWellFormed()) return "must be well-formed Unicode (it contains a lone UTF-16 surrogate)";
  return null;
}

/** Free text in a request: bounded, no NUL, well-formed Unicode. Trimmed unless told otherwise. */
export function text(options: { max: number; min?: number; trim?: boolean }) {
  const base = options.trim === false ? z.string() : z.string().trim();
  return base
    .min(options.min ?? 0)
    .max(options.max)
    .superRefine((value, ctx) => {
      const reason = textProblem(value);
      if (reason) ctx.addIssue({ code: "custom", message: reason });
    });
}

/** The first unacceptable string (value or key) inside a parsed JSON value, with its path. */
function findBadText(value: unknown, path: string): FieldError | null {
  if (typeof value === "string") {
    const reason = textProblem(value);
    return reason ? { field: path, code: "invalid_text", message: reason } : null;
  }
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const found = findBadText(value[i], `${path}.${i}`);
      if (found) return found;
    }
    return null;
  }
  if (value !== null && typeof value === "object") {
    for (const [key, child] of Object.entries(value)) {
      const keyReason = textProblem(key);
      if (keyReason)
        return {
          field: `${path}.${key.replace(/[\u0000\ud800-\udfff]/g, "\ufffd")}`,
          code: "invalid_text",
          message: `field name ${keyReason}`,
        };
      const found = findBadText(child, `${path}.${key}`);
      if (found) return found;
    }
  }
  return null;
}

/**
 * How `json` exceeds the depth or value-count limit, or null. One pass over the text, no recursion;
 * a value is an object key or an array element (the root counts as one). Invalid JSON may be
 * miscounted, which only decides whether it is refused for its shape or by JSON.parse.
 */
export function jsonShapeProblem(json: string, maxValues: number): FieldError | null {
  let depth = 0;
  let values = 1;
  let inString = false;
  let escaped = false;
  let opened = false; // just after "{" or "[": the next token is a first member, unless it closes
  for (let i = 0; i < json.length; i++) {
    const ch = json.charCodeAt(i);
    if (inString) {
      if (escaped) escaped = false;
      else if (ch === 0x5c) escaped = true;
      else if (ch === 0x22) inString = false;
      continue;
    }
    if (ch === 0x20 || ch === 0x0a || ch === 0x0d || ch === 0x09) continue;
    if (ch === 0x7d || ch === 0x5d) {
      depth--;
      opened = false;
      continue;
    }
    if (opened || ch === 0x2c) values++;
    opened = false;
    if (values > maxValues)
      return {
        field: "body",
        code: "too_many_values",
        message: `holds more than ${maxValues} object keys and array elements in all`,
      };
    if (ch === 0x22) inString = true;
    else if (ch === 0x7b || ch === 0x5b) {
      if (++depth > JSON_LIMITS.depth)
        return {
          field: "body",
          code: "too_deep",
          message: `nests objects and arrays more than ${JSON_LIMITS.depth} levels deep`,
        };
      opened = true;
    }
  }
  return null;
}

const invalid = (c: Context, status: 400 | 422, error: FieldError, detail: string) =>
  problem(c, status, "validation-error", "Validation failed", detail, { errors: [error] });

/** Checks the raw query string and path: percent-encoding must decode to acceptable text. */
function checkUrl(c: Context): Response | null {
  const url = new URL(c.req.url);
  for (const segment of url.pathname.split("/")) {
    let decoded: string;
    try {
      decoded = decodeURIComponent(segment);
    } catch {
      return invalid(
        c,
        400,
        { field: "path", code: "invalid_encoding", message: "is not valid percent-encoded UTF-8" },
        "The path is not valid percent-encoded UTF-8.",
      );
    }
    const reason = textProblem(decoded);
    if (reason) return invalid(c, 400, { field: "path", code: "invalid_text", message: reason }, `The path ${reason}.`);
  }
  for (const pair of url.search.slice(1).split("&")) {
    if (pair === "") continue;
    const [rawName = "", rawValue = ""] = pair.split(/=(.*)/s);
    let name: string;
    let value: string;
    try {
      name = decodeURIComponent(rawName.replaceAll("+", " "));
      value = decodeURIComponent(rawValue.replaceAll("+", " "));
    } catch {
      const field = `query.${rawName}`;
      return invalid(
        c,
        400,
        { field, code: "invalid_encoding", message: "is not valid percent-encoded UTF-8" },
        `${field} is not valid percent-encoded UTF-8.`,
      );
    }
    const reason = textProblem(name) ?? textProblem(value);
    if (reason) {
      const field = `query.${textProblem(name) ? "(name)" : name}`;
      return invalid(c, 400, { field, code: "invalid_text", message: reason }, `${field} ${reason}.`);
    }
  }
  return null;
}

const utf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false });
const isJson = (contentType: string | undefined) =>
  /^application\/([a-z0-9.+-]+\+)?json\s*(;|$)/i.test(contentType ?? "");

/** Reads, decodes and parses a JSON body once, and hands the result to the validators. */
async function checkBody(c: Context, maxValues: number): Promise<Response | null> {
  if (!c.req.raw.body) return null;
  const bytes = new Uint8Array(await c.req.arrayBuffer());
  if (bytes.length === 0) return null;
  const contentType = c.req.header("content-type");
  if (!isJson(contentType)) {
    return problem(
      c,
      415,
      "unsupported-media-type",
      "Unsupported media type",
      `Request bodies must be JSON (Content-Type: application/json); got ${contentType ? JSON.stringify(contentType) : "none"}.`,
    );
  }
  let decoded: string;
  try {
    decoded = utf8.decode(bytes);
  } catch {
    return invalid(
      c,
      400,
      { field: "body", code: "invalid_encoding", message: "is not valid UTF-8" },
      "The body is not valid UTF-8.",
    );
  }
  const shape = jsonShapeProblem(decoded, maxValues);
  if (shape) return invalid(c, 400, shape, `The body ${shape.message}.`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(decoded);
  } catch (error) {
    const message = error instanceof SyntaxError ? error.message : "is not valid JSON";
    return invalid(c, 400, { field: "body", code: "invalid_json", message }, `The body is not valid JSON: ${message}`);
  }
  const bad = findBadText(parsed, "body");
  if (bad) return invalid(c, 422, bad, `${bad.field} ${bad.message}.`);
  // Later readers (idempotency hash, the zod validator) reuse these instead of decoding again.
  // (Hono keeps promises in bodyCache at run time, though its type names the resolved values.)
  const cache = c.req.bodyCache as Record<string, Promise<unknown>>;
  cache.arrayBuffer = Promise.resolve(bytes.buffer);
  cache.text = Promise.resolve(decoded);
  cache.json = Promise.resolve(parsed);
  return null;
}

/** The first middleware of every declared route (see `secured()`/`open()` in routes.ts). */
export function inputGuard(kind: BodyKind = "standard") {
  const limit = BODY_LIMITS[kind];
  const sizeLimit = bodyLimit({
    maxSize: limit,
    onError: (c) =>
      problem(
        c,
        413,
        "payload-too-large",
        "Payload too large",
        `Request bodies on this route are limited to ${limit} bytes.`,
      ),
  });
  return createMiddleware<AppEnv>(async (c, next) => {
    const urlProblem = checkUrl(c);
    if (urlProblem) return urlProblem;
    let refused: Response | null = null;
    const limited = await sizeLimit(c, async () => {
      refused = await checkBody(c, JSON_LIMITS.values[kind]);
    });
    if (limited) return limited;
    if (refused) return refused;
    await next();
  });
}
