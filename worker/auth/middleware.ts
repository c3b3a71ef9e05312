// Authentication and authorization middleware. Every /v1 route but the public ones uses
// `authenticate()`; routes then declare the scope they need with `requireScope()`.
import { createMiddleware } from "hono/factory";
import type { AppEnv, AppContext } from "../env.ts";
import { problem } from "../http/problem.ts";
import { hashApiKey, looksLikeApiKey } from "./api-key.ts";
import { cachePrincipal, cachedPrincipal } from "./principal-cache.ts";
import { hasScope, type Principal } from "./principal.ts";
import { verifySessionToken } from "./session-token.ts";

const unauthorized = (c: AppContext, detail: string) =>
  problem(c, 401, "unauthorized", "Unauthorized", detail, {
    headers: { "www-authenticate": 'Bearer realm="securebase"' },
  });

interface ApiKeyRow extends Record<string, unknown> {
  key_id: string;
  customer_id: string;
  scopes: string[];
  mode: "live" | "test";
  expires_at: Date | null;
  tier: Principal["tier"];
}

/** API key -> principal: memory, then KV, then one SECURITY DEFINER lookup in Postgres. */
async function principalForApiKey(c: AppContext, key: string): Promise<Principal | undefined> {
  const keyHash = await hashApiKey(key);
  const cached = await cachedPrincipal(c.env.AUTH_CACHE, keyHash);
  if (cached) return cached;
  const [row] = await c.var.db.system<ApiKeyRow>(
    "SELECT key_id, customer_id, scopes, mode, expires_at, tier FROM app.resolve_api_key(decode($1, 'hex'))",
    [keyHash],
  );
  if (!row) return undefined;
  const principal: Principal = {
    kind: "api_key",
    customerId: row.customer_id,
    keyId: row.key_id,
    mode: row.mode,
    tier: row.tier,
    scopes: row.scopes,
    expiresAt: row.expires_at ? new Date(row.expires_at).getTime() : null,
  };
  c.executionCtx.waitUntil(cachePrincipal(c.env.AUTH_CACHE, keyHash, principal));
  return principal;
}

export function authenticate(options: { apiKeyOnly?: boolean } = {}) {
  return createMiddleware<AppEnv>(async (c, next) => {
    const header = c.req.header("authorization") ?? "";
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
    if (!match) return unauthorized(c, "Send an API key or session token as 'Authorization: Bearer <token>'.");
    const token = match[1]!;
    let principal: Principal | undefined;
    if (looksLikeApiKey(token)) {
      principal = await principalForApiKey(c, token);
    } else if (options.apiKeyOnly) {
      return unauthorized(c, "This endpoint takes an API key (sb_live_… or sb_test_…), not a session token.");
    } else {
      principal = await verifySessionToken(c.env.SESSION_SIGNING_KEYS, token);
    }
    if (!principal || (principal.expiresAt !== null && principal.expiresAt <= Date.now())) {
      return unauthorized(c, "The credentials are invalid, expired or revoked.");
    }
    c.set("principal", principal);
    await next();
  });
}

export function requireScope(scope: string) {
  return createMiddleware<AppEnv>(async (c, next) => {
    if (!hasScope(c.var.principal, scope)) {
      return problem(c, 403, "insufficient-scope", "Forbidden", `These credentials lack the '${scope}' scope.`);
    }
    await next();
  });
}
