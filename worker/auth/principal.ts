// Who is calling. Built from an API key (looked up once, then cached) or a session token
// (verified locally). Never from anything the client says about its tenant.
import type { Tier } from "../../db/schema.ts";

export interface Principal {
  kind: "api_key" | "session_token";
  customerId: string;
  keyId: string;
  mode: "live" | "test";
  tier: Tier;
  scopes: string[];
  /** Epoch ms after which the credential is no longer valid; null = no expiry. */
  expiresAt: number | null;
}

export function hasScope(principal: Principal, scope: string): boolean {
  const [resource] = scope.split(":");
  return principal.scopes.includes(scope) || principal.scopes.includes(`${resource}:*`) || principal.scopes.includes("*");
}
