// Who is calling. Built from an API key (looked up once, then cached), a session token exchanged
// for a key, or a user's login session (both verified locally). Never from anything the client
// says about its tenant.
import type { Role, Tier } from "../../db/schema.ts";
import type { DataJurisdiction } from "../platform/records-store.ts";
import type { TenantContext } from "../platform/tenant-context.ts";

export interface Principal {
  /**
   * mfa_enrollment: a user setting up a required second factor, on the enrolment routes only.
   * platform_key: a SecureBase machine credential holding platform scopes only (docs/auth.md).
   */
  kind: "api_key" | "session_token" | "user_session" | "mfa_enrollment" | "platform_key";
  /** platform_key: the creating staff member's customer, where its audit events are filed. */
  customerId: string;
  /** The API key behind an api_key or session_token principal. */
  keyId: string | null;
  /** The portal user behind a user_session principal. */
  userId: string | null;
  /** The user_sessions row (user sessions) or the token id (key session tokens). */
  sessionId: string | null;
  role: Role | null;
  /** SecureBase staff (platform super_admin). */
  superAdmin: boolean;
  mode: "live" | "test";
  tier: Tier;
  /** Effective permissions: a key's scopes, or a user's role permissions. */
  scopes: string[];
  rateLimitPerMinute: number;
  /** The customer's data jurisdiction, carried by every credential lookup (docs/residency.md). */
  dataJurisdiction: DataJurisdiction;
  /** Epoch ms after which the credential is no longer valid; null = no expiry. */
  expiresAt: number | null;
  /**
   * User sessions: when the session itself ends (epoch ms) and its idle timeout (s). The token
   * expires after `idleSeconds` without use and is renewed while in use, never past the end.
   */
  sessionEndsAt?: number;
  idleSeconds?: number;
}

export function hasScope(principal: Principal, scope: string): boolean {
  if (principal.superAdmin) return true;
  // Platform scopes are not customer permissions: a platform key passes no customer check.
  if (principal.kind === "platform_key") return false;
  const [resource] = scope.split(":");
  return (
    principal.scopes.includes(scope) || principal.scopes.includes(`${resource}:*`) || principal.scopes.includes("*")
  );
}

/** The database context a principal's queries run under. */
export function tenantContextOf(principal: Principal): TenantContext {
  return {
    customerId: principal.customerId,
    userId: principal.userId,
    role: principal.role,
    superAdmin: principal.superAdmin,
  };
}

/** Who an audit event names as its actor. */
export function actorOf(principal: Principal): { type: "user" | "api_key" | "staff"; id: string } {
  if (principal.superAdmin && principal.userId) return { type: "staff", id: principal.userId };
  if (principal.userId) return { type: "user", id: principal.userId };
  return { type: "api_key", id: principal.keyId ?? "unknown" };
}

/** Where the principal's Durable Object state lives: its customer's jurisdiction (docs/residency.md). */
export const jurisdictionOf = (principal: Principal): DataJurisdiction => principal.dataJurisdiction;

/**
 * A signed token issued before tokens carried the jurisdiction (at most USER_SESSION_TTL_SECONDS
 * old): the onboarding default by tier, which is what such a customer got unless staff chose.
 * Used only when decoding such a token; drop it once every older token has expired.
 */
export function jurisdictionClaim(claim: unknown, tier: Tier): DataJurisdiction {
  if (claim === "us" || claim === "eu" || claim === "fedramp") return claim;
  return tier === "gov_federal" ? "fedramp" : "us";
}
