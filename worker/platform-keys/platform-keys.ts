// Platform API keys (docs/auth.md, "Platform keys"): SecureBase's machine credentials, created
// and revoked by staff. Stored like customer keys: SHA-256 and a display prefix, secret shown once.
import { and, desc, eq, isNull, sql } from "drizzle-orm";
import { platformApiKeys, type PlatformScope } from "../../db/schema.ts";
import { generatePlatformKey, hashApiKey } from "../auth/api-key.ts";
import type { Audit } from "../http/transactions.ts";
import { fromHex } from "../platform/encoding.ts";
import type { Database } from "../platform/database.ts";

export type PlatformKeyRow = typeof platformApiKeys.$inferSelect;

export async function createPlatformKey(
  db: Database,
  audit: Audit,
  staff: { userId: string; customerId: string },
  input: { name: string; scopes: PlatformScope[] },
): Promise<{ row: PlatformKeyRow; key: string }> {
  const { key, prefix } = generatePlatformKey();
  const [row] = await db
    .insert(platformApiKeys)
    .values({
      name: input.name,
      prefix,
      keyHash: fromHex(await hashApiKey(key)),
      scopes: [...new Set(input.scopes)],
      homeCustomerId: staff.customerId,
      createdBy: staff.userId,
    })
    .returning();
  await audit({
    action: "platform_api_key.created",
    resourceType: "platform_api_key",
    resourceId: row!.id,
    summary: `Platform API key '${row!.name}' (${prefix}…) created with scopes ${row!.scopes.join(", ")}`,
    data: { name: row!.name, prefix, scopes: row!.scopes },
  });
  return { row: row!, key };
}

export const listPlatformKeys = (db: Database): Promise<PlatformKeyRow[]> =>
  db.select().from(platformApiKeys).orderBy(desc(platformApiKeys.createdAt), desc(platformApiKeys.id));

/**
 * Revokes a key. Already revoked: the row, `changed: false`, no second audit event. Undefined
 * when there is no such key. The caller purges the auth cache by the row's key hash.
 */
export async function revokePlatformKey(
  db: Database,
  audit: Audit,
  staffUserId: string,
  id: string,
): Promise<{ row: PlatformKeyRow; changed: boolean } | undefined> {
  const [revoked] = await db
    .update(platformApiKeys)
    .set({ revokedAt: sql`now()`, revokedBy: staffUserId })
    .where(and(eq(platformApiKeys.id, id), isNull(platformApiKeys.revokedAt)))
    .returning();
  if (!revoked) {
    const [current] = await db.select().from(platformApiKeys).where(eq(platformApiKeys.id, id));
    return current && { row: current, changed: false };
  }
  await audit({
    action: "platform_api_key.revoked",
    resourceType: "platform_api_key",
    resourceId: id,
    summary: `Platform API key '${revoked.name}' (${revoked.prefix}…) revoked`,
    data: { name: revoked.name, prefix: revoked.prefix },
  });
  return { row: revoked, changed: true };
}
