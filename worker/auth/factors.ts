// A user's second factors as a whole (docs/auth.md, "Second factors"): recording a change
// (audit event and the mandatory email), and an administrator's reset.
import { and, eq, gt, isNull, sql } from "drizzle-orm";
import { userPasskeys, users, userSessions } from "../../db/schema.ts";
import type { Emit } from "../events/outbox.ts";
import type { Audit } from "../http/transactions.ts";
import type { Database } from "../platform/database.ts";
import type { EndedSession } from "./password-change.ts";
import { removeTotp, type Subject } from "./totp.ts";

/** Records a factor change: the audit event and the (mandatory) email to the user. */
export async function recordFactorChange(
  audit: Audit,
  emit: Emit,
  who: Subject & { email: string },
  change: "totp_enrolled" | "totp_removed" | "recovery_code_used" | "factors_reset",
  data: Record<string, unknown> = {},
): Promise<void> {
  const actions = {
    totp_enrolled: ["totp.enrolled", "set up an authenticator app"],
    totp_removed: ["totp.removed", "removed their authenticator app"],
    recovery_code_used: ["recovery_code.used", "used a recovery code"],
    factors_reset: ["mfa.reset", "had their second factors reset"],
  } as const;
  const [action, what] = actions[change];
  await emit("user.mfa_changed", {
    user_id: who.userId,
    email: who.email,
    change,
    changed_at: new Date().toISOString(),
  });
  await audit({ action, resourceType: "user", resourceId: who.userId, summary: `${who.email} ${what}`, data });
}

/**
 * An administrator's reset of a member's second factors (the member lost their device): removes
 * the TOTP authenticator and recovery codes, ends the member's sessions, audits and emails them.
 * Runs in the caller's tenant transaction; undefined when the customer has no such user. Returns
 * the ended sessions, for the caller to mark revoked at the edge after the commit.
 */
export async function resetFactors(
  db: Database,
  audit: Audit,
  emit: Emit,
  member: Subject,
): Promise<EndedSession[] | undefined> {
  const [user] = await db
    .select({ email: users.email })
    .from(users)
    .where(and(eq(users.customerId, member.customerId), eq(users.id, member.userId)));
  if (!user) return undefined;
  const hadTotp = await removeTotp(db, member);
  const passkeys = await db
    .delete(userPasskeys)
    .where(and(eq(userPasskeys.customerId, member.customerId), eq(userPasskeys.userId, member.userId)))
    .returning({ id: userPasskeys.id });
  const ended = await db
    .update(userSessions)
    .set({ revokedAt: sql`now()` })
    .where(
      and(
        eq(userSessions.customerId, member.customerId),
        eq(userSessions.userId, member.userId),
        isNull(userSessions.revokedAt),
        gt(userSessions.expiresAt, sql`now()`),
      ),
    )
    .returning({ id: userSessions.id, expiresAt: userSessions.expiresAt });
  await recordFactorChange(audit, emit, { ...member, email: user.email }, "factors_reset", {
    removed: [...(hadTotp ? ["totp", "recovery_codes"] : []), ...(passkeys.length > 0 ? ["passkeys"] : [])],
    removed_passkeys: passkeys.length,
    ended_sessions: ended.length,
  });
  return ended;
}
