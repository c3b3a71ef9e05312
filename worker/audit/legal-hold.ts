// Legal hold on a customer's audit archive (docs/audit-retention.md): while held, retention
// deletes none of its archived objects. Staff only (RLS: a super-admin context), audited in the
// customer's own chain.
import { eq } from "drizzle-orm";
import { auditLegalHolds } from "../../db/schema.ts";
import type { Database } from "../platform/database.ts";
import type { Audit } from "../http/transactions.ts";

export type LegalHold = typeof auditLegalHolds.$inferSelect;

export async function setLegalHold(
  db: Database,
  audit: Audit,
  customerId: string,
  reason: string,
  staffUserId: string | null,
): Promise<LegalHold> {
  const [hold] = await db
    .insert(auditLegalHolds)
    .values({ customerId, reason, setBy: staffUserId })
    .onConflictDoUpdate({ target: auditLegalHolds.customerId, set: { reason, setBy: staffUserId, setAt: new Date() } })
    .returning();
  await audit({
    action: "customer.legal_hold_set",
    resourceType: "customer",
    resourceId: customerId,
    summary: `Legal hold placed on the audit archive by SecureBase staff: ${reason}`,
    data: { reason },
  });
  return hold!;
}

export async function clearLegalHold(db: Database, audit: Audit, customerId: string, reason: string): Promise<boolean> {
  const removed = await db.delete(auditLegalHolds).where(eq(auditLegalHolds.customerId, customerId)).returning();
  if (removed.length === 0) return false;
  await audit({
    action: "customer.legal_hold_cleared",
    resourceType: "customer",
    resourceId: customerId,
    summary: `Legal hold on the audit archive lifted by SecureBase staff: ${reason}`,
    data: { reason, held_since: removed[0]!.setAt.toISOString(), held_for: removed[0]!.reason },
  });
  return true;
}
