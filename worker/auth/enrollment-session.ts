// Finishing an MFA enrolment (docs/auth.md, "Enrolment"): the first factor a member without one
// sets up with an enrolment token — an authenticator app or a passkey — is stored in the same
// transaction that starts their session and uses the token up, so all three happen or none.
import { and, eq } from "drizzle-orm";
import { customers, tierFeatures, users } from "../../db/schema.ts";
import type { Emit } from "../events/outbox.ts";
import type { AppContext } from "../http/context.ts";
import { ProblemError } from "../http/problem.ts";
import { type Audit, readAs } from "../http/transactions.ts";
import type { Database } from "../platform/database.ts";
import { enrollmentClaims } from "./enrollment.ts";
import type { Principal } from "./principal.ts";
import { useTokenOnce } from "./purpose-token.ts";
import { securityPolicyOf } from "./security-policy.ts";
import { type LoginResult, startSession } from "./sign-in.ts";

export async function finishEnrollment(
  c: AppContext,
  principal: Principal,
  how: {
    summary: string;
    method: "totp" | "passkey";
    /** Stores the new factor; throws to refuse (nothing is then stored, and the token stays usable). */
    store: (db: Database, audit: Audit, emit: Emit) => Promise<void>;
  },
): Promise<LoginResult> {
  const who = { customerId: principal.customerId, userId: principal.userId! };
  const found = await readAs(c, async (db) => {
    const [user] = await db
      .select({
        role: users.role,
        platformRole: users.platformRole,
        rateLimit: tierFeatures.apiRateLimitPerMinute,
        jurisdiction: customers.dataJurisdiction,
      })
      .from(users)
      .innerJoin(customers, eq(customers.id, users.customerId))
      .innerJoin(tierFeatures, eq(tierFeatures.tier, customers.tier))
      .where(and(eq(users.customerId, who.customerId), eq(users.id, who.userId), eq(users.status, "active")));
    return user && { user, policy: await securityPolicyOf(db, who.customerId) };
  });
  if (!found) throw new ProblemError(401, "unauthorized", "Unauthorized", "The user behind this grant is gone.");
  const signInUser = {
    user_id: who.userId,
    customer_id: who.customerId,
    role: found.user.role,
    platform_role: found.user.platformRole,
    tier: principal.tier,
    rate_limit_per_minute: found.user.rateLimit,
    data_jurisdiction: found.user.jurisdiction,
  };
  return startSession(c, signInUser, found.policy, {
    summary: how.summary,
    method: how.method,
    data: { mfa: true, enrolled: true },
    before: async (db, audit, emit) => {
      await how.store(db, audit, emit);
      // In the transaction: the grant is used up only if the session starts.
      if (!(await useTokenOnce(c.var.db, "mfa_enrollment", enrollmentClaims(principal))))
        throw new ProblemError(401, "unauthorized", "Unauthorized", "This enrolment token was already used.");
    },
  });
}
