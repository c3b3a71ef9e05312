// API keys (docs/auth.md): create, list, read, revoke, rotate. Every function runs inside the caller's
// tenant transaction (RLS already limits rows to the caller; the explicit customer filter keeps
// the (customer_id, id) index in play). Writes record their audit event and outbox event in the
// same transaction as the change. The secret leaves this module only in the create/rotate result;
// only its SHA-256 and a 14-character display prefix are stored.
import { and, desc, eq, gt, isNotNull, isNull, lte, or, sql, type SQL } from "drizzle-orm";
import { apiKeys } from "../../db/schema.ts";
import type { EventPayload } from "../events/catalogue.ts";
import type { Emit } from "../events/outbox.ts";
import { generateApiKey, hashApiKey, type KeyMode } from "../auth/api-key.ts";
import { hasScope, type Principal } from "../auth/principal.ts";
import { ProblemError } from "../http/problem.ts";
import { afterCursor, type PaginationQuery } from "../http/pagination.ts";
import type { Database } from "../platform/database.ts";
import { fromHex } from "../platform/encoding.ts";
import type { Actor, Audit } from "../http/transactions.ts";

export type ApiKeyRow = typeof apiKeys.$inferSelect;
export type KeyStatus = "active" | "revoked" | "expired" | "all";

/** Longest grace period a rotation may give the old key: 7 days. */
export const MAX_GRACE_SECONDS = 7 * 24 * 3600;
export const DEFAULT_GRACE_SECONDS = 24 * 3600;

export interface NewKeyInput {
  name: string;
  mode: KeyMode;
  scopes: string[];
  expiresAt: Date | null;
}

/** The requested scopes the caller does not hold itself (an API key never exceeds its creator). */
export function scopesBeyond(principal: Principal, scopes: readonly string[]): string[] {
  return scopes.filter((scope) => !hasScope(principal, scope));
}

export function assertWithinCreator(principal: Principal, scopes: readonly string[]): void {
  const excess = scopesBeyond(principal, scopes);
  if (excess.length === 0) return;
  throw new ProblemError(
    403,
    "scope-exceeds-creator",
    "Scopes exceed your permissions",
    `An API key cannot hold permissions its creator lacks; you do not hold: ${excess.join(", ")}.`,
    {
      errors: excess.map((scope) => ({
        field: `body.scopes.${scopes.indexOf(scope)}`,
        code: "scope_exceeds_creator",
        message: `You do not hold '${scope}'`,
      })),
    },
  );
}

const conflict = (slug: string, detail: string) => new ProblemError(409, slug, "Conflict", detail);

async function insertKey(
  db: Database,
  customerId: string,
  actor: Actor,
  input: NewKeyInput,
  rotatedFrom: string | null = null,
): Promise<{ row: ApiKeyRow; key: string }> {
  const { key, prefix } = generateApiKey(input.mode);
  const [row] = await db
    .insert(apiKeys)
    .values({
      customerId,
      name: input.name,
      mode: input.mode,
      prefix,
      keyHash: fromHex(await hashApiKey(key)),
      scopes: [...new Set(input.scopes)],
      expiresAt: input.expiresAt,
      createdByType: actor.type,
      createdById: actor.id,
      rotatedFrom,
    })
    .returning();
  return { row: row!, key };
}

const createdPayload = (row: ApiKeyRow): EventPayload<"api_key.created"> => ({
  id: row.id,
  name: row.name,
  mode: row.mode,
  scopes: row.scopes,
  prefix: row.prefix,
  ...(row.rotatedFrom ? { rotated_from: row.rotatedFrom } : {}),
});

const auditCreated = (audit: Audit, row: ApiKeyRow) =>
  audit({
    action: "api_key.created",
    resourceType: "api_key",
    resourceId: row.id,
    summary: `API key '${row.name}' (${row.prefix}…) created`,
    data: {
      name: row.name,
      mode: row.mode,
      scopes: row.scopes,
      expires_at: row.expiresAt?.toISOString() ?? null,
      ...(row.rotatedFrom ? { rotated_from: row.rotatedFrom } : {}),
    },
  });

export async function createKey(
  db: Database,
  audit: Audit,
  emit: Emit,
  customerId: string,
  actor: Actor,
  input: NewKeyInput,
): Promise<{ row: ApiKeyRow; key: string }> {
  const created = await insertKey(db, customerId, actor, input);
  await auditCreated(audit, created.row);
  await emit("api_key.created", createdPayload(created.row));
  return created;
}

function statusFilter(status: KeyStatus): SQL | undefined {
  const unexpired = or(isNull(apiKeys.expiresAt), gt(apiKeys.expiresAt, sql`now()`));
  switch (status) {
    case "active":
      return and(isNull(apiKeys.revokedAt), unexpired);
    case "revoked":
      return isNotNull(apiKeys.revokedAt);
    case "expired":
      return and(isNull(apiKeys.revokedAt), lte(apiKeys.expiresAt, sql`now()`));
    case "all":
      return undefined;
  }
}

/** One page (limit + 1 rows, newest first) of the customer's keys in `status`. */
export function listKeys(
  db: Database,
  customerId: string,
  page: PaginationQuery & { status: KeyStatus },
): Promise<ApiKeyRow[]> {
  return db
    .select()
    .from(apiKeys)
    .where(and(eq(apiKeys.customerId, customerId), statusFilter(page.status), afterCursor(apiKeys.id, page)))
    .orderBy(desc(apiKeys.id))
    .limit(page.limit + 1);
}

export async function getKey(db: Database, customerId: string, id: string): Promise<ApiKeyRow | undefined> {
  const [row] = await db
    .select()
    .from(apiKeys)
    .where(and(eq(apiKeys.customerId, customerId), eq(apiKeys.id, id)));
  return row;
}

/**
 * Revokes a key. Already revoked: the current row, `changed: false`, and no second audit event.
 * Undefined when the customer has no such key.
 */
export async function revokeKey(
  db: Database,
  audit: Audit,
  emit: Emit,
  customerId: string,
  id: string,
): Promise<{ row: ApiKeyRow; changed: boolean } | undefined> {
  const [revoked] = await db
    .update(apiKeys)
    .set({ revokedAt: sql`now()` })
    .where(and(eq(apiKeys.customerId, customerId), eq(apiKeys.id, id), isNull(apiKeys.revokedAt)))
    .returning();
  if (!revoked) {
    const current = await getKey(db, customerId, id);
    return current && { row: current, changed: false };
  }
  await audit({
    action: "api_key.revoked",
    resourceType: "api_key",
    resourceId: id,
    summary: `API key '${revoked.name}' (${revoked.prefix}…) revoked`,
    data: { name: revoked.name, prefix: revoked.prefix },
  });
  await emit("api_key.revoked", { id, name: revoked.name, prefix: revoked.prefix });
  return { row: revoked, changed: true };
}

/**
 * Replaces a key with a new one (same name, mode, scopes and expiry). The old key stops at once
 * (grace 0: revoked) or expires at least(its expiry, now + grace). The caller must hold every
 * scope of the key, since it receives the new secret.
 */
export async function rotateKey(
  db: Database,
  audit: Audit,
  emit: Emit,
  principal: Principal,
  actor: Actor,
  id: string,
  graceSeconds: number,
): Promise<{ old: ApiKeyRow; created: ApiKeyRow; key: string } | undefined> {
  const customerId = principal.customerId;
  // Row lock: concurrent rotations of one key serialize, and the second one sees rotated_to.
  const [current] = await db
    .select()
    .from(apiKeys)
    .where(and(eq(apiKeys.customerId, customerId), eq(apiKeys.id, id)))
    .for("update");
  if (!current) return undefined;
  if (current.revokedAt) throw conflict("api-key-revoked", `API key ${id} is revoked; create a new key instead.`);
  if (current.rotatedTo)
    throw conflict(
      "api-key-already-rotated",
      `API key ${id} was already rotated to ${current.rotatedTo}; rotate that key instead.`,
    );
  if (current.expiresAt && current.expiresAt.getTime() <= Date.now()) {
    throw conflict("api-key-expired", `API key ${id} has expired; create a new key instead.`);
  }
  assertWithinCreator(principal, current.scopes);

  const { row: created, key } = await insertKey(
    db,
    customerId,
    actor,
    { name: current.name, mode: current.mode, scopes: current.scopes, expiresAt: current.expiresAt },
    current.id,
  );
  const [old] = await db
    .update(apiKeys)
    .set(
      graceSeconds === 0
        ? { rotatedTo: created.id, revokedAt: sql`now()` }
        : {
            rotatedTo: created.id,
            // least() ignores NULL: a key without expiry gets now + grace.
            expiresAt: sql`least(${apiKeys.expiresAt}, now() + make_interval(secs => ${graceSeconds}::integer))`,
          },
    )
    .where(eq(apiKeys.id, current.id))
    .returning();

  await auditCreated(audit, created);
  await audit({
    action: "api_key.rotated",
    resourceType: "api_key",
    resourceId: current.id,
    summary: `API key '${current.name}' (${current.prefix}…) rotated to ${created.prefix}…`,
    data: {
      new_key_id: created.id,
      grace_period_seconds: graceSeconds,
      old_key_expires_at: old!.expiresAt?.toISOString() ?? null,
      old_key_revoked: graceSeconds === 0,
    },
  });
  await emit("api_key.created", createdPayload(created));
  await emit("api_key.rotated", {
    id: current.id,
    rotated_to: created.id,
    grace_period_seconds: graceSeconds,
    expires_at: old!.expiresAt?.toISOString() ?? null,
  });
  if (graceSeconds === 0) await emit("api_key.revoked", { id: current.id, name: current.name, prefix: current.prefix });
  return { old: old!, created, key };
}
