// A customer's sign-in policy (docs/auth.md, "Security policy"): whether members need a second
// factor, how long a session lives and may sit idle, and which first factors sign in. A customer
// without a stored policy gets its tier's defaults: MFA is on for healthcare and gov_federal.
import { eq, sql } from "drizzle-orm";
import { customers, customerSecurityPolicies, type SignInMethod, type Tier } from "../../db/schema.ts";
import type { Database, RequestDatabase } from "../platform/database.ts";

export interface SecurityPolicy {
  mfaRequired: boolean;
  sessionLifetimeMinutes: number;
  idleTimeoutMinutes: number;
  allowedSignInMethods: SignInMethod[];
}

/** Platform bounds (the table's CHECKs say the same). */
export const POLICY_BOUNDS = {
  session_lifetime_minutes: { min: 15, max: 1440 },
  idle_timeout_minutes: { min: 5, max: 480 },
} as const;

const MFA_BY_DEFAULT: readonly Tier[] = ["healthcare", "gov_federal"];

export function tierDefaults(tier: Tier): SecurityPolicy {
  return {
    mfaRequired: MFA_BY_DEFAULT.includes(tier),
    sessionLifetimeMinutes: 720,
    idleTimeoutMinutes: 60,
    allowedSignInMethods: ["password", "passkey"],
  };
}

type Stored = { [K in keyof SecurityPolicy]: SecurityPolicy[K] | null };

/** The stored policy, or the tier's defaults where nothing is stored. */
export function effectivePolicy(stored: Stored | undefined, tier: Tier): SecurityPolicy {
  const defaults = tierDefaults(tier);
  if (!stored || stored.mfaRequired === null) return defaults;
  return {
    mfaRequired: stored.mfaRequired,
    sessionLifetimeMinutes: stored.sessionLifetimeMinutes ?? defaults.sessionLifetimeMinutes,
    idleTimeoutMinutes: stored.idleTimeoutMinutes ?? defaults.idleTimeoutMinutes,
    allowedSignInMethods: stored.allowedSignInMethods ?? defaults.allowedSignInMethods,
  };
}

/** The effective policy of the customer of a tenant transaction (the lead's hook for idle expiry). */
export async function securityPolicyOf(db: Database, customerId: string): Promise<SecurityPolicy> {
  const [row] = await db
    .select({
      tier: customers.tier,
      mfaRequired: customerSecurityPolicies.mfaRequired,
      sessionLifetimeMinutes: customerSecurityPolicies.sessionLifetimeMinutes,
      idleTimeoutMinutes: customerSecurityPolicies.idleTimeoutMinutes,
      allowedSignInMethods: customerSecurityPolicies.allowedSignInMethods,
    })
    .from(customers)
    .leftJoin(customerSecurityPolicies, eq(customerSecurityPolicies.customerId, customers.id))
    .where(eq(customers.id, customerId));
  if (!row) throw new Error(`customer ${customerId} is not visible in this context`);
  return effectivePolicy(row, row.tier);
}

/** Stores the whole policy (an upsert); returns it. */
export async function storePolicy(db: Database, customerId: string, policy: SecurityPolicy): Promise<void> {
  const values = { ...policy, updatedAt: sql`now()` };
  await db
    .insert(customerSecurityPolicies)
    .values({ customerId, ...values })
    .onConflictDoUpdate({ target: customerSecurityPolicies.customerId, set: values });
}

/** The second factors a user can sign in with, as `methods` of an MFA challenge. */
export type FactorMethod = "totp" | "recovery_code" | "passkey";
export interface Factors {
  totp: boolean;
  passkey: boolean;
}
/** One place that turns a user's factors into challenge methods. */
export function signInMethodsOf(factors: Factors): FactorMethod[] {
  return [
    ...(factors.totp ? (["totp", "recovery_code"] as const) : []),
    ...(factors.passkey ? (["passkey"] as const) : []),
  ];
}

interface LoginSecurityRow extends Record<string, unknown> {
  has_totp: boolean;
  has_passkey: boolean;
  mfa_required: boolean | null;
  session_lifetime_minutes: number | null;
  idle_timeout_minutes: number | null;
  allowed_sign_in_methods: SignInMethod[] | null;
}

/** Before any tenant context (login): the user's factors and their customer's effective policy. */
export async function loginSecurity(
  db: RequestDatabase,
  userId: string,
  tier: Tier,
): Promise<{ factors: Factors; policy: SecurityPolicy }> {
  const [row] = await db.system<LoginSecurityRow>("SELECT * FROM app.login_security($1)", [userId]);
  const policy = effectivePolicy(
    row && {
      mfaRequired: row.mfa_required,
      sessionLifetimeMinutes: row.session_lifetime_minutes,
      idleTimeoutMinutes: row.idle_timeout_minutes,
      allowedSignInMethods: row.allowed_sign_in_methods,
    },
    tier,
  );
  return { factors: { totp: row?.has_totp === true, passkey: row?.has_passkey === true }, policy };
}
