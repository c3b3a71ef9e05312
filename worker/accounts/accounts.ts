// Managed AWS accounts (docs/billing.md). A slot is reserved atomically against the tier's
// max_accounts by app.reserve_managed_account (migration 0006: it locks the customer's row, so
// concurrent creates can never over-allocate); closing an account frees its slot.
import { and, desc, eq, sql } from "drizzle-orm";
import {
  customers,
  managedAccounts,
  tierFeatures,
  type AccountEnvironment,
  type AccountStatus,
} from "../../db/schema.ts";
import { afterCursor, type PaginationQuery } from "../http/pagination.ts";
import { notFound, ProblemError } from "../http/problem.ts";
import type { Database } from "../platform/database.ts";
import type { Audit } from "../http/transactions.ts";

export type AccountRow = typeof managedAccounts.$inferSelect;

export function listAccounts(
  db: Database,
  customerId: string,
  page: PaginationQuery & { status?: AccountStatus },
): Promise<AccountRow[]> {
  return db
    .select()
    .from(managedAccounts)
    .where(
      and(
        eq(managedAccounts.customerId, customerId),
        page.status ? eq(managedAccounts.status, page.status) : undefined,
        afterCursor(managedAccounts.id, page),
      ),
    )
    .orderBy(desc(managedAccounts.id))
    .limit(page.limit + 1);
}

export async function getAccount(db: Database, customerId: string, id: string): Promise<AccountRow | undefined> {
  const [row] = await db
    .select()
    .from(managedAccounts)
    .where(and(eq(managedAccounts.customerId, customerId), eq(managedAccounts.id, id)));
  return row;
}

/** The tier's limit and how many slots are taken, for the 409 that names the limit. */
async function usage(db: Database, customerId: string): Promise<{ tier: string; limit: number; open: number }> {
  const [row] = await db
    .select({
      tier: customers.tier,
      limit: tierFeatures.maxAccounts,
      open: sql<number>`(SELECT count(*)::int FROM managed_accounts m WHERE m.customer_id = ${customers.id} AND m.status <> 'closed')`,
    })
    .from(customers)
    .innerJoin(tierFeatures, eq(tierFeatures.tier, customers.tier))
    .where(eq(customers.id, customerId));
  return { tier: row!.tier, limit: row!.limit, open: Number(row!.open) };
}

/** The tier's max_accounts is reached (SQLSTATE SB001); the transaction is aborted. */
export class AccountLimitReached extends Error {
  constructor() {
    super("managed account limit reached");
  }
}

const sqlState = (error: unknown) =>
  (error as { cause?: { code?: string } }).cause?.code ?? (error as { code?: string }).code;

/** Reserves a slot and creates the account (`provisioning`), audited; 409 over the tier's limit. */
export async function createAccount(
  db: Database,
  audit: Audit,
  customerId: string,
  input: { name: string; environment: AccountEnvironment },
): Promise<AccountRow> {
  let id: string;
  try {
    const { rows } = await db.execute(
      sql`SELECT id FROM app.reserve_managed_account(${input.name}, ${input.environment})`,
    );
    id = String(rows[0]!.id);
  } catch (error) {
    if (sqlState(error) === "SB001") throw new AccountLimitReached();
    throw error;
  }
  const account = (await getAccount(db, customerId, id))!;
  await audit({
    action: "account.created",
    resourceType: "managed_account",
    resourceId: account.id,
    summary: `Managed account ${account.name} (${account.environment}) created`,
    data: { name: account.name, environment: account.environment },
  });
  return account;
}

/**
 * The 409 for a full tier, naming the limit. Read in a fresh transaction: the one that hit the
 * limit is aborted.
 */
export async function accountLimitProblem(db: Database, customerId: string): Promise<ProblemError> {
  const { tier, limit, open } = await usage(db, customerId);
  return new ProblemError(
    409,
    "account-limit-reached",
    "Account limit reached",
    `The ${tier} tier allows at most ${limit} open managed accounts (max_accounts = ${limit}); ${open} are open. Close one or move to a tier with more accounts.`,
  );
}

/**
 * Renames an account (the name is the customer's label; the AWS account keeps its id). A closed
 * account keeps the name it was closed under: 409. Audited with the name before and after.
 */
export async function renameAccount(
  db: Database,
  audit: Audit,
  customerId: string,
  id: string,
  name: string,
): Promise<AccountRow> {
  const before = await getAccount(db, customerId, id);
  if (!before) throw notFound("managed account", id);
  if (before.status === "closed")
    throw new ProblemError(
      409,
      "account-closed",
      "Account closed",
      `Managed account ${id} is closed; it cannot be renamed.`,
    );
  if (before.name === name) return before;
  const [account] = await db
    .update(managedAccounts)
    .set({ name })
    .where(and(eq(managedAccounts.customerId, customerId), eq(managedAccounts.id, id)))
    .returning();
  await audit({
    action: "account.renamed",
    resourceType: "managed_account",
    resourceId: id,
    summary: `Managed account ${before.name} renamed to ${name}`,
    data: { before: { name: before.name }, after: { name } },
  });
  return account!;
}

/** Closes the account and frees its slot; closing a closed account changes nothing. */
export async function closeAccount(db: Database, audit: Audit, customerId: string, id: string): Promise<AccountRow> {
  const before = await getAccount(db, customerId, id);
  if (!before) throw notFound("managed account", id);
  if (before.status === "closed") return before;
  await db.execute(sql`SELECT app.release_managed_account(${id}::uuid)`);
  const account = (await getAccount(db, customerId, id))!;
  await audit({
    action: "account.closed",
    resourceType: "managed_account",
    resourceId: id,
    summary: `Managed account ${account.name} (${account.environment}) closed; its slot is free`,
    data: { name: account.name, previous_status: before.status },
  });
  return account;
}
