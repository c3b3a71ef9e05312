// Setting a user's password after sign-up (docs/auth.md, "Passwords"): by the signed-in user
// (change) or by an emailed link (reset). Either way the hash is replaced, the user's other
// sessions end (a thief holding one must not outlive the change), the user is emailed and the
// change is audited — never the password itself.
import { and, eq, gt, isNull, ne, sql } from "drizzle-orm";
import { userSessions } from "../../db/schema.ts";
import type { Emit } from "../events/outbox.ts";
import type { Audit } from "../http/transactions.ts";
import type { Database } from "../platform/database.ts";

export interface EndedSession {
  id: string;
  expiresAt: Date;
}

/**
 * Stores `passwordHash` for the user and ends their open sessions except `keepSessionId` (null:
 * all of them). Returns the ended sessions, for the caller to mark revoked at the edge once the
 * transaction committed.
 */
export async function setPassword(
  db: Database,
  audit: Audit,
  emit: Emit,
  user: { id: string; customerId: string; email: string },
  passwordHash: string,
  how: { method: "change" | "reset"; keepSessionId: string | null },
): Promise<EndedSession[]> {
  // The request role may not write password_hash (an admin could take over accounts): the
  // definer function writes only the user the signed context names (db/migrations/0100_password_reset.sql).
  const set = await db.execute<{ ok: boolean }>(sql`SELECT app.set_own_password(${passwordHash}) AS ok`);
  if (!set.rows[0]?.ok) throw new Error("app.set_own_password changed no row: the context is not this active user");
  const ended = await db
    .update(userSessions)
    .set({ revokedAt: sql`now()` })
    .where(
      and(
        eq(userSessions.customerId, user.customerId),
        eq(userSessions.userId, user.id),
        isNull(userSessions.revokedAt),
        gt(userSessions.expiresAt, sql`now()`),
        how.keepSessionId ? ne(userSessions.id, how.keepSessionId) : undefined,
      ),
    )
    .returning({ id: userSessions.id, expiresAt: userSessions.expiresAt });
  const changedAt = new Date().toISOString();
  await emit("user.password_changed", {
    user_id: user.id,
    email: user.email,
    method: how.method,
    changed_at: changedAt,
  });
  await audit({
    action: how.method === "change" ? "user.password_changed" : "user.password_reset",
    resourceType: "user",
    resourceId: user.id,
    summary: `${user.email} ${how.method === "change" ? "changed their password" : "reset their password by emailed link"}`,
    data: { method: how.method, ended_sessions: ended.length },
  });
  return ended;
}
