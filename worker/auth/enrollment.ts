// The MFA enrolment grant (docs/auth.md, "Enrolment"): a member of a customer that requires a
// second factor, signing in without one, gets a 15-minute "mfa_enrollment" purpose token instead
// of a session. authenticate() accepts it only on routes declared with `{ enrollment: true }`,
// as a principal that holds no permission, and confirming a factor uses it up.
import type { Role, Tier } from "../../db/schema.ts";
import { jurisdictionClaim, type Principal } from "./principal.ts";
import { verifyPurposeToken, type PurposeClaims } from "./purpose-token.ts";

/** The principal an enrolment token stands for, or undefined if it is not a valid one. */
export async function enrollmentPrincipal(config: string, token: string): Promise<Principal | undefined> {
  const claims = await verifyPurposeToken(config, "mfa_enrollment", token);
  if (!claims || typeof claims.cid !== "string" || typeof claims.role !== "string") return undefined;
  return {
    kind: "mfa_enrollment",
    customerId: claims.cid,
    keyId: null,
    userId: claims.sub,
    sessionId: claims.jti,
    role: claims.role as Role,
    superAdmin: false,
    mode: "live",
    tier: claims.tier as Tier,
    scopes: [],
    rateLimitPerMinute: typeof claims.rl === "number" ? claims.rl : 60,
    dataJurisdiction: jurisdictionClaim(claims.jur, claims.tier as Tier),
    expiresAt: claims.exp * 1000,
  };
}

/** The token claims behind an enrolment principal, to use the token up (useTokenOnce). */
export const enrollmentClaims = (principal: Principal): PurposeClaims => ({
  sub: principal.userId!,
  jti: principal.sessionId!,
  exp: Math.floor(principal.expiresAt! / 1000),
});
