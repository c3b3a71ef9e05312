// Idempotency-Key on POST (Stripe's semantics): the first response to a key is stored for 24 h
// per customer and replayed to every retry with the same key; the same key with a different
// request is a 422; a retry while the first is still running is a 409. A stored response belongs
// to the credential that caused it: another key or user of the tenant sending the same key gets a
// 409 and never the stored body, which may hold a secret meant for the first caller only
// (docs/security.md, "Idempotency"). The claim is an INSERT
// on the (customer_id, key) primary key, so concurrent duplicates cannot both execute.
// Responses that did not run the operation (401, 429, validation 400/422) and server errors are
// not stored: the client may retry those with the same key. Stored responses are encrypted
// (DATA_ENCRYPTION_KEY): some carry a secret shown once (a new API key, an invite token).
import { createMiddleware } from "hono/factory";
import { and, eq, sql } from "drizzle-orm";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { idempotencyKeys } from "../../db/schema.ts";
import { tenantContextOf } from "../auth/principal.ts";
import type { AppEnv } from "./context.ts";
import { sha256 } from "../platform/encoding.ts";
import { open, type SealedPlace, seal } from "../platform/encryption.ts";
import { problem } from "./problem.ts";

/** A request still unfinished after this long is presumed dead and may be retried. */
const ABANDONED_AFTER_MS = 60_000;
const NOT_STORED = new Set([400, 401, 422, 429]);

/** The credential a stored response belongs to: a key (and its session tokens), or a user. */
const principalOf = (principal: { keyId: string | null; userId: string | null }) =>
  principal.keyId ? `key:${principal.keyId}` : `user:${principal.userId}`;

const sameBytes = (a: Uint8Array, b: Uint8Array) => a.length === b.length && a.every((v, i) => v === b[i]);

export const idempotency = createMiddleware<AppEnv>(async (c, next) => {
  const key = c.req.header("idempotency-key");
  if (key === undefined) return next();
  if (key.length < 1 || key.length > 255 || !/^[\x21-\x7e]+$/.test(key)) {
    return problem(
      c,
      400,
      "validation-error",
      "Validation failed",
      "Idempotency-Key must be 1–255 visible ASCII characters.",
      {
        errors: [
          { field: "header.idempotency-key", code: "invalid_string", message: "1–255 visible ASCII characters" },
        ],
      },
    );
  }
  const principal = c.var.principal;
  const owner = principalOf(principal);
  const path = new URL(c.req.url).pathname;
  const requestHash = await sha256(`${c.req.method} ${path}\n${await c.req.text()}`);
  const context = tenantContextOf(principal);
  const where = and(eq(idempotencyKeys.customerId, principal.customerId), eq(idempotencyKeys.key, key));
  const place: SealedPlace = {
    table: "idempotency_keys",
    column: "response_body",
    customerId: principal.customerId,
    rowId: key,
  };

  const claim = await c.var.db.tenant(context, "write", async (db) => {
    const [inserted] = await db
      .insert(idempotencyKeys)
      .values({ customerId: principal.customerId, key, method: c.req.method, path, requestHash, principal: owner })
      .onConflictDoNothing()
      .returning({ key: idempotencyKeys.key });
    if (inserted) return { state: "claimed" as const };
    const [row] = await db.select().from(idempotencyKeys).where(where).for("update");
    if (!row) return { state: "claimed" as const };
    const expired = row.expiresAt.getTime() <= Date.now();
    const abandoned = row.completedAt === null && row.createdAt.getTime() < Date.now() - ABANDONED_AFTER_MS;
    if (expired || abandoned) {
      await db
        .update(idempotencyKeys)
        .set({
          method: c.req.method,
          path,
          requestHash,
          principal: owner,
          statusCode: null,
          responseBody: null,
          responseHeaders: null,
          createdAt: sql`now()`,
          completedAt: null,
          expiresAt: sql`now() + interval '24 hours'`,
        })
        .where(where);
      return { state: "claimed" as const };
    }
    // Checked before the request and the progress: another credential learns nothing of either.
    if (row.principal !== owner) return { state: "foreign" as const };
    if (!sameBytes(row.requestHash, requestHash)) return { state: "mismatch" as const };
    if (row.completedAt === null) return { state: "in_progress" as const };
    return { state: "replay" as const, row };
  });

  if (claim.state === "foreign") {
    return problem(
      c,
      409,
      "idempotency-key-in-use",
      "Idempotency key in use",
      "Another credential used this Idempotency-Key within the last 24 hours. Use a new key.",
    );
  }
  if (claim.state === "mismatch") {
    return problem(
      c,
      422,
      "idempotency-key-reused",
      "Idempotency key reused",
      "This Idempotency-Key was used with a different request (method, path or body). Use a new key for a new request.",
    );
  }
  if (claim.state === "in_progress") {
    return problem(
      c,
      409,
      "idempotency-key-in-progress",
      "Request in progress",
      "A request with this Idempotency-Key is still being processed; retry shortly.",
      { headers: { "retry-after": "1" } },
    );
  }
  if (claim.state === "replay") {
    const { row } = claim;
    const sealed = (row.responseBody as { sealed?: string } | null)?.sealed;
    return new Response(sealed ? await open(c.env.DATA_ENCRYPTION_KEY, sealed, place) : "null", {
      status: row.statusCode ?? 200,
      headers: {
        ...(row.responseHeaders as Record<string, string>),
        "idempotent-replayed": "true",
        "x-request-id": c.var.requestId,
      },
    });
  }

  await next();

  const status = c.res.status as ContentfulStatusCode;
  const store = status < 500 && !NOT_STORED.has(status);
  let body: { sealed: string } | null = null;
  if (store) {
    const text = await c.res.clone().text();
    body = { sealed: await seal(c.env.DATA_ENCRYPTION_KEY, text, place) };
  }
  await c.var.db.tenant(context, "write", async (db) => {
    if (body !== null) {
      const headers: Record<string, string> = {
        "content-type": c.res.headers.get("content-type") ?? "application/json",
      };
      const location = c.res.headers.get("location");
      if (location) headers.location = location;
      await db
        .update(idempotencyKeys)
        .set({ statusCode: status, responseBody: body, responseHeaders: headers, completedAt: sql`now()` })
        .where(where);
    } else {
      await db.delete(idempotencyKeys).where(where);
    }
  });
});
