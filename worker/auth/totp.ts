// Second factors of a portal user (docs/auth.md, "Second factors"): one TOTP authenticator
// (RFC 6238: SHA-1, 6 digits, 30 s, ±1 step) and ten single-use recovery codes. Every function
// runs inside the caller's tenant transaction; the caller audits and emails.
import { and, eq, isNotNull, isNull, lt, sql } from "drizzle-orm";
import { Secret, TOTP } from "otpauth";
import { userRecoveryCodes, userTotp } from "../../db/schema.ts";
import { open, seal, type SealedPlace } from "../platform/encryption.ts";
import { sha256 } from "../platform/encoding.ts";
import { uuidv7 } from "../platform/ids.ts";
import type { Database } from "../platform/database.ts";

const PERIOD = 30;
const ISSUER = "SecureBase";
export const RECOVERY_CODE_COUNT = 10;

const place = (customerId: string, rowId: string): SealedPlace => ({
  table: "user_totp",
  column: "secret_sealed",
  customerId,
  rowId,
});

const totpOf = (secret: Secret, label = "") =>
  new TOTP({ issuer: ISSUER, label, algorithm: "SHA1", digits: 6, period: PERIOD, secret });

export interface Subject {
  customerId: string;
  userId: string;
}

/** Starts (or restarts) a pending TOTP enrolment; undefined if a confirmed one exists. */
export async function startTotp(
  db: Database,
  encryptionKey: string,
  who: Subject & { email: string },
): Promise<{ secret: string; uri: string } | undefined> {
  const [existing] = await db
    .select({ id: userTotp.id, confirmedAt: userTotp.confirmedAt })
    .from(userTotp)
    .where(and(eq(userTotp.customerId, who.customerId), eq(userTotp.userId, who.userId)));
  if (existing?.confirmedAt) return undefined;
  if (existing)
    await db.delete(userTotp).where(and(eq(userTotp.customerId, who.customerId), eq(userTotp.id, existing.id)));
  const secret = new Secret({ size: 20 });
  const id = uuidv7();
  await db.insert(userTotp).values({
    id,
    customerId: who.customerId,
    userId: who.userId,
    secretSealed: await seal(encryptionKey, secret.base32, place(who.customerId, id)),
  });
  return { secret: secret.base32, uri: totpOf(secret, who.email).toString() };
}

/**
 * Checks a TOTP code against the user's authenticator (`pending`: the unconfirmed one being
 * enrolled; otherwise the confirmed one) and, if it matches, records its time step so the same
 * code is refused from then on. True only for a fresh, matching code.
 */
export async function useTotpCode(
  db: Database,
  encryptionKey: string,
  who: Subject,
  code: string,
  options: { pending: boolean; now?: number } = { pending: false },
): Promise<boolean> {
  const [row] = await db
    .select({ id: userTotp.id, secretSealed: userTotp.secretSealed })
    .from(userTotp)
    .where(
      and(
        eq(userTotp.customerId, who.customerId),
        eq(userTotp.userId, who.userId),
        options.pending ? isNull(userTotp.confirmedAt) : isNotNull(userTotp.confirmedAt),
      ),
    );
  if (!row || !/^\d{6}$/.test(code)) return false;
  const secret = Secret.fromBase32(await open(encryptionKey, row.secretSealed, place(who.customerId, row.id)));
  const now = options.now ?? Date.now();
  const delta = totpOf(secret).validate({ token: code, timestamp: now, window: 1 });
  if (delta === null) return false;
  const step = Math.floor(now / 1000 / PERIOD) + delta;
  // Atomic: of two requests with the same code, only one moves the step forward.
  const [accepted] = await db
    .update(userTotp)
    .set({ lastUsedStep: step, ...(options.pending ? { confirmedAt: sql`now()` } : {}) })
    .where(and(eq(userTotp.customerId, who.customerId), eq(userTotp.id, row.id), lt(userTotp.lastUsedStep, step)))
    .returning({ id: userTotp.id });
  return accepted !== undefined;
}

/** A recovery code as typed: case, spaces and dashes do not matter. */
const normalize = (code: string) => code.toLowerCase().replace(/[\s-]/g, "");

// 16 characters of a 32-letter alphabet: 80 random bits. SHA-256 is enough to store them (a
// slow password hash protects guessable secrets; nobody can enumerate 2^80 codes).
const ALPHABET = "abcdefghijklmnopqrstuvwxyz234567";
function newRecoveryCode(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  const chars = Array.from(bytes, (b) => ALPHABET[b % 32]).join("");
  return chars.match(/.{4}/g)!.join("-");
}

const hashCode = async (code: string) => sha256(normalize(code));

/** Replaces the user's recovery codes with ten new ones; returns them (the only time they are seen). */
export async function issueRecoveryCodes(db: Database, who: Subject): Promise<string[]> {
  await db
    .delete(userRecoveryCodes)
    .where(and(eq(userRecoveryCodes.customerId, who.customerId), eq(userRecoveryCodes.userId, who.userId)));
  const codes = Array.from({ length: RECOVERY_CODE_COUNT }, newRecoveryCode);
  await db
    .insert(userRecoveryCodes)
    .values(
      await Promise.all(
        codes.map(async (code) => ({ customerId: who.customerId, userId: who.userId, codeHash: await hashCode(code) })),
      ),
    );
  return codes;
}

/** Marks a recovery code used; true only the first time, and only while the user has TOTP. */
export async function useRecoveryCode(db: Database, who: Subject, code: string): Promise<boolean> {
  const normalized = normalize(code);
  if (!/^[a-z0-9]{16}$/.test(normalized)) return false;
  const [used] = await db
    .update(userRecoveryCodes)
    .set({ usedAt: sql`now()` })
    .where(
      and(
        eq(userRecoveryCodes.customerId, who.customerId),
        eq(userRecoveryCodes.userId, who.userId),
        eq(userRecoveryCodes.codeHash, await hashCode(normalized)),
        isNull(userRecoveryCodes.usedAt),
        sql`EXISTS (SELECT 1 FROM user_totp t WHERE t.customer_id = ${who.customerId} AND t.user_id = ${who.userId} AND t.confirmed_at IS NOT NULL)`,
      ),
    )
    .returning({ id: userRecoveryCodes.id });
  return used !== undefined;
}

/** Removes the user's TOTP and recovery codes; true if there was a confirmed TOTP. */
export async function removeTotp(db: Database, who: Subject): Promise<boolean> {
  await db
    .delete(userRecoveryCodes)
    .where(and(eq(userRecoveryCodes.customerId, who.customerId), eq(userRecoveryCodes.userId, who.userId)));
  const removed = await db
    .delete(userTotp)
    .where(and(eq(userTotp.customerId, who.customerId), eq(userTotp.userId, who.userId)))
    .returning({ confirmedAt: userTotp.confirmedAt });
  return removed.some((r) => r.confirmedAt !== null);
}
