// Platform administration of customers (tenants) by SecureBase staff: onboarding (the customer,
// its first admin's invite, the invite email through the outbox, the audit event — one
// transaction), listing, and changes of name, tier, tax rate and status.
//
// Every function runs inside a transaction whose signed context carries `superAdmin: true`: the
// staff policies on `customers` (migration 0010) let such a context read and update any
// customer, and inserting a customer needs the context's customer id to be the new id. Writes run
// with the *target* customer as the context's customer, so their audit events land in that
// customer's chain.
import { and, desc, eq } from "drizzle-orm";
import { apiKeys, customers, userInvites, type Tier } from "../../db/schema.ts";
import { afterCursor, type PaginationQuery } from "../http/pagination.ts";
import { notFound, ProblemError } from "../http/problem.ts";
import type { Database } from "../platform/database.ts";
import type { Emit } from "../events/outbox.ts";
import type { Audit } from "../http/transactions.ts";
import { toHex } from "../platform/encoding.ts";
import {
  type BillingDetailsPatch,
  billingDetailsColumns,
  checkTaxRules,
  columnName,
  type TaxSettings,
} from "../billing/details.ts";
import { newInviteToken } from "../users/invite-token.ts";

export type CustomerRow = typeof customers.$inferSelect;
export type InviteRow = typeof userInvites.$inferSelect;
export type CustomerStatus = CustomerRow["status"];

/**
 * The exemption reference a gov_federal customer onboards with when staff give none (docs/billing.md,
 * "Tax"): US federal agencies do not pay state sales tax; staff replace it with the agency's own
 * reference (or set `taxable`) where one applies.
 */
export const FEDERAL_EXEMPTION = "federal-agency";

export interface OnboardInput extends TaxSettings {
  id: string;
  name: string;
  email: string;
  tier: Tier;
  taxRateBps: number;
  billingDetails?: BillingDetailsPatch;
  adminEmail: string;
  /** docs/residency.md: default `fedramp` for gov_federal, else `us`; fixed afterwards. */
  dataJurisdiction?: "us" | "eu" | "fedramp";
  /** The staff user who onboards (recorded as the invite's inviter). */
  staffUserId: string | null;
}

export interface Onboarded {
  customer: CustomerRow;
  invite: InviteRow;
}

/** Creates the customer, its first admin's invite and the `user.invited` outbox event, audited. */
export async function onboardCustomer(db: Database, audit: Audit, emit: Emit, input: OnboardInput): Promise<Onboarded> {
  // gov_federal customers onboard exempt unless staff say otherwise.
  const federal = input.tier === "gov_federal" && input.taxStatus === undefined;
  const taxStatus = input.taxStatus ?? (federal ? "exempt" : "taxable");
  const taxExemptCertificate = input.taxExemptCertificate ?? (federal ? FEDERAL_EXEMPTION : null);
  const details = billingDetailsColumns(input.billingDetails ?? {});
  checkTaxRules({ taxStatus, taxExemptCertificate, billingTaxId: details.billingTaxId ?? null }, { taxStatus: true });
  const [customer] = await db
    .insert(customers)
    .values({
      id: input.id,
      name: input.name,
      email: input.email,
      tier: input.tier,
      taxRateBps: input.taxRateBps,
      status: "active",
      taxStatus,
      taxExemptCertificate,
      dataJurisdiction: input.dataJurisdiction ?? (input.tier === "gov_federal" ? "fedramp" : "us"),
      ...details,
    })
    .returning();
  const { token, tokenHash, expiresAt } = await newInviteToken();
  const [invite] = await db
    .insert(userInvites)
    .values({
      customerId: input.id,
      email: input.adminEmail,
      role: "admin",
      tokenHash,
      invitedBy: input.staffUserId,
      expiresAt,
    })
    .returning();
  await emit(
    "user.invited",
    {
      invite_id: invite!.id,
      email: invite!.email,
      role: invite!.role,
      customer_name: customer!.name,
      expires_at: expiresAt.toISOString(),
    },
    { secrets: { token } },
  );
  await audit({
    action: "customer.created",
    resourceType: "customer",
    resourceId: input.id,
    summary: `Customer ${customer!.name} onboarded on ${customer!.tier}; ${invite!.email} invited as admin`,
    data: {
      name: customer!.name,
      email: customer!.email,
      tier: customer!.tier,
      tax_rate_bps: customer!.taxRateBps,
      tax_status: customer!.taxStatus,
      tax_exempt_certificate: customer!.taxExemptCertificate,
      data_jurisdiction: customer!.dataJurisdiction,
      admin_invite_id: invite!.id,
      admin_email: invite!.email,
    },
  });
  return { customer: customer!, invite: invite! };
}

export interface CustomerFilters extends PaginationQuery {
  status?: CustomerStatus;
  tier?: Tier;
}

export function listCustomers(db: Database, filters: CustomerFilters): Promise<CustomerRow[]> {
  return db
    .select()
    .from(customers)
    .where(
      and(
        filters.status ? eq(customers.status, filters.status) : undefined,
        filters.tier ? eq(customers.tier, filters.tier) : undefined,
        afterCursor(customers.id, filters),
      ),
    )
    .orderBy(desc(customers.id))
    .limit(filters.limit + 1);
}

export async function getCustomer(db: Database, id: string): Promise<CustomerRow | undefined> {
  const [row] = await db.select().from(customers).where(eq(customers.id, id));
  return row;
}

export interface CustomerPatch extends TaxSettings {
  name?: string;
  tier?: Tier;
  status?: "active" | "suspended";
  taxRateBps?: number;
  billingDetails?: BillingDetailsPatch;
  /** Net days from issue to due date (docs/billing.md, "Settlement"). */
  paymentTermsDays?: number;
  /** Staff's reason, kept in the audit event (not a column). */
  reason?: string;
}

export type CustomerAction = "customer.updated" | "customer.suspended" | "customer.reactivated";

export interface CustomerUpdate {
  customer: CustomerRow;
  /** The audited action, or null when the patch changed nothing (nothing written, nothing audited). */
  action: CustomerAction | null;
  /** SHA-256 (hex) of every API key of the customer, when it ends up suspended: caches to purge. */
  keyHashes: string[];
}

const columns = {
  name: "name",
  tier: "tier",
  status: "status",
  taxRateBps: "tax_rate_bps",
  taxStatus: "tax_status",
  taxExemptCertificate: "tax_exempt_certificate",
  paymentTermsDays: "payment_terms_days",
} as const;

/**
 * Applies a staff patch to one customer, under a row lock. A status change is audited as
 * `customer.suspended` / `customer.reactivated`, anything else as `customer.updated`, with the
 * before/after values of every changed field. A closed customer cannot be changed.
 */
export async function updateCustomer(
  db: Database,
  audit: Audit,
  id: string,
  patch: CustomerPatch,
): Promise<CustomerUpdate> {
  const [before] = await db.select().from(customers).where(eq(customers.id, id)).for("update");
  if (!before) throw notFound("customer", id);
  if (before.status === "closed") {
    throw new ProblemError(
      409,
      "customer-closed",
      "Customer closed",
      `Customer ${id} is closed and can no longer be changed.`,
    );
  }

  const changes: Record<string, { from: unknown; to: unknown }> = {};
  const set: Partial<CustomerRow> = {};
  for (const field of Object.keys(columns) as (keyof typeof columns)[]) {
    const next = patch[field];
    if (next === undefined || next === before[field]) continue;
    changes[columns[field]] = { from: before[field], to: next };
    Object.assign(set, { [field]: next });
  }
  for (const [field, next] of Object.entries(billingDetailsColumns(patch.billingDetails ?? {}))) {
    const previous = before[field as keyof CustomerRow];
    if (next === previous) continue;
    changes[columnName(field)] = { from: previous, to: next };
    Object.assign(set, { [field]: next });
  }
  checkTaxRules({ ...before, ...set }, { taxStatus: "taxStatus" in set });

  let customer = before;
  let action: CustomerAction | null = null;
  if (Object.keys(changes).length > 0) {
    const [updated] = await db.update(customers).set(set).where(eq(customers.id, id)).returning();
    customer = updated!;
    action = changes.status
      ? customer.status === "suspended"
        ? "customer.suspended"
        : "customer.reactivated"
      : "customer.updated";
    const what = Object.entries(changes)
      .map(([field, change]) => `${field} ${String(change.from)} → ${String(change.to)}`)
      .join(", ");
    await audit({
      action,
      resourceType: "customer",
      resourceId: id,
      summary: `Customer ${customer.name} ${action === "customer.updated" ? "updated" : action.slice("customer.".length)} by SecureBase staff (${what})${patch.reason ? `: ${patch.reason}` : ""}`,
      data: patch.reason ? { changes, reason: patch.reason } : { changes },
    });
  }

  // Read the keys whenever the patch leaves the customer suspended (also when it already was),
  // so a retried suspension purges the caches again.
  const keyHashes =
    patch.status === "suspended"
      ? (await db.select({ keyHash: apiKeys.keyHash }).from(apiKeys).where(eq(apiKeys.customerId, id))).map((k) =>
          toHex(k.keyHash),
        )
      : [];
  return { customer, action, keyHashes };
}
