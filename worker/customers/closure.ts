// Closing a customer (docs/exports-closure.md): revoke every API key and session, disable its
// webhooks, issue the final invoice (month to date), set it `closed`, and schedule the deletion
// of its rows after a grace period. Each step is its own transaction that also records the step
// in customer_closures.steps and audits it, so a closure interrupted mid-way is completed by
// running it again, without repeating a finished step.
//
// The steps run under a SecureBase staff context bound to the customer (the staff policies let
// it set the status and issue the invoice); whoever asked (staff, or the customer's admin after
// the typed confirmation, checked by the route) is the audited actor.
import { and, eq, isNull, sql } from "drizzle-orm";
import { apiKeys, customerClosures, customers, userSessions, webhookEndpoints } from "../../db/schema.ts";
import { forgetPrincipal } from "../auth/principal-cache.ts";
import { revokeKeySessions, revokeSession, setCustomerSuspended } from "../auth/revocation.ts";
import type { Env } from "../env.ts";
import type { Actor } from "../http/transactions.ts";
import { type Database, RequestDatabase } from "../platform/database.ts";
import { toHex } from "../platform/encoding.ts";
import type { TenantContext } from "../platform/tenant-context.ts";

export const closureSteps = [
  "revoke_api_keys",
  "end_sessions",
  "disable_webhooks",
  "final_invoice",
  "set_closed",
] as const;
export type ClosureStep = (typeof closureSteps)[number];
export type ClosureRow = typeof customerClosures.$inferSelect;

export const DEFAULT_CLOSURE_GRACE_DAYS = 30;

/** CLOSURE_GRACE_DAYS (a whole number of days, 0 allowed), else 30. */
export function graceDays(env: Pick<Env, "CLOSURE_GRACE_DAYS">): number {
  const days = Number(env.CLOSURE_GRACE_DAYS);
  return env.CLOSURE_GRACE_DAYS !== undefined && env.CLOSURE_GRACE_DAYS !== "" && Number.isInteger(days) && days >= 0
    ? days
    : DEFAULT_CLOSURE_GRACE_DAYS;
}

async function auditStep(
  db: Database,
  customerId: string,
  actor: Actor,
  action: string,
  summary: string,
  data: Record<string, unknown>,
): Promise<void> {
  await db.execute(sql`
    INSERT INTO audit_events (customer_id, seq, actor_type, actor_id, action, resource_type, resource_id, summary, data,
                              prev_hash, hash)
    VALUES (${customerId}::uuid, 0, ${actor.type}, ${actor.id}, ${action}, 'customer', ${customerId}, ${summary},
            ${JSON.stringify(data)}::jsonb, '\\x'::bytea, '\\x'::bytea)`);
}

type StepWork = (
  db: Database,
  env: Env,
  customerId: string,
) => Promise<{ summary: string; data: Record<string, unknown> }>;

const steps: Record<ClosureStep, StepWork> = {
  // KV first, inside the transaction: the marks are idempotent, and if the commit fails the
  // re-run sets them again.
  async revoke_api_keys(db, env, customerId) {
    const revoked = await db
      .update(apiKeys)
      .set({ revokedAt: sql`now()` })
      .where(and(eq(apiKeys.customerId, customerId), isNull(apiKeys.revokedAt)))
      .returning({ id: apiKeys.id });
    const all = await db
      .select({ id: apiKeys.id, keyHash: apiKeys.keyHash })
      .from(apiKeys)
      .where(eq(apiKeys.customerId, customerId));
    await Promise.all(
      all.flatMap((k) => [forgetPrincipal(env.AUTH_CACHE, toHex(k.keyHash)), revokeKeySessions(env.AUTH_CACHE, k.id)]),
    );
    return { summary: `${revoked.length} API key(s) revoked`, data: { revoked: revoked.length } };
  },
  async end_sessions(db, env, customerId) {
    const ended = await db
      .update(userSessions)
      .set({ revokedAt: sql`now()` })
      .where(and(eq(userSessions.customerId, customerId), isNull(userSessions.revokedAt)))
      .returning({ id: userSessions.id, expiresAt: userSessions.expiresAt });
    // The customer mark stops every token of the customer at the edge at once (as a suspension does).
    await setCustomerSuspended(env.AUTH_CACHE, customerId, true);
    await Promise.all(ended.map((s) => revokeSession(env.AUTH_CACHE, s.id, s.expiresAt.getTime())));
    return { summary: `${ended.length} session(s) ended`, data: { ended: ended.length } };
  },
  async disable_webhooks(db, _env, customerId) {
    const disabled = await db
      .update(webhookEndpoints)
      .set({ status: "disabled", disabledReason: "customer closed", updatedAt: sql`now()` })
      .where(and(eq(webhookEndpoints.customerId, customerId), eq(webhookEndpoints.status, "enabled")))
      .returning({ id: webhookEndpoints.id });
    return { summary: `${disabled.length} webhook endpoint(s) disabled`, data: { disabled: disabled.length } };
  },
  async final_invoice(db, _env, customerId) {
    const { rows } = await db.execute(sql`SELECT app.issue_final_invoice(${customerId}::uuid) AS id`);
    const invoiceId = (rows[0]?.id as string | null) ?? null;
    await db
      .update(customerClosures)
      .set({ finalInvoiceId: invoiceId })
      .where(eq(customerClosures.customerId, customerId));
    return { summary: "Final invoice issued (month to date)", data: { invoice_id: invoiceId } };
  },
  async set_closed(db, _env, customerId) {
    await db.update(customers).set({ status: "closed" }).where(eq(customers.id, customerId));
    return { summary: "Customer closed", data: {} };
  },
};

/** Records the closure (once per customer: a second request returns the first), audited. */
export async function startClosure(db: Database, env: Env, customerId: string, actor: Actor): Promise<ClosureRow> {
  const graceUntil = new Date(Date.now() + graceDays(env) * 86_400_000);
  const [created] = await db
    .insert(customerClosures)
    .values({ customerId, requestedBy: `${actor.type}:${actor.id}`, graceUntil })
    .onConflictDoNothing({ target: customerClosures.customerId })
    .returning();
  if (created) {
    await auditStep(db, customerId, actor, "customer.closure_started", "Closure of the customer started", {
      grace_until: graceUntil.toISOString(),
    });
    return created;
  }
  const [existing] = await db.select().from(customerClosures).where(eq(customerClosures.customerId, customerId));
  return existing!;
}

export interface RunOptions {
  /** Tests only: throw before this step, as a crash there would (docs/exports-closure.md, "Resuming"). */
  failBefore?: ClosureStep;
}

/** Runs the steps not yet done, in order; returns the closure as it ends. */
export async function runClosure(
  env: Env,
  customerId: string,
  actor: Actor,
  options: RunOptions = {},
): Promise<ClosureRow> {
  const database = new RequestDatabase(env);
  const context: TenantContext = { customerId, superAdmin: true, userId: null, role: null };
  try {
    await database.tenant(context, "write", (db) => startClosure(db, env, customerId, actor));
    for (const step of closureSteps) {
      await database.tenant(context, "write", async (db) => {
        const [closure] = await db
          .select({ steps: customerClosures.steps })
          .from(customerClosures)
          .where(eq(customerClosures.customerId, customerId))
          .for("update");
        if (closure!.steps[step]) return;
        if (options.failBefore === step) throw new Error(`injected failure before ${step}`);
        const result = await steps[step](db, env, customerId);
        await db
          .update(customerClosures)
          .set({ steps: sql`steps || jsonb_build_object(${step}::text, now())` })
          .where(eq(customerClosures.customerId, customerId));
        await auditStep(db, customerId, actor, `customer.closure.${step}`, result.summary, { step, ...result.data });
      });
    }
    return await database.tenant(context, "write", async (db) => {
      const [closure] = await db
        .update(customerClosures)
        .set({ completedAt: sql`coalesce(completed_at, now())` })
        .where(eq(customerClosures.customerId, customerId))
        .returning();
      return closure!;
    });
  } finally {
    await database.close();
  }
}

export async function getClosure(db: Database, customerId: string): Promise<ClosureRow | undefined> {
  const [row] = await db.select().from(customerClosures).where(eq(customerClosures.customerId, customerId));
  return row;
}
