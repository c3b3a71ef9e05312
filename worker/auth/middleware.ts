// Authentication, authorization and per-key rate limiting. Every /v1 route but the public ones
// is built with `secured()` (worker/http/routes.ts), which puts these in front of the handler.
import { createMiddleware } from "hono/factory";
import type { AppEnv, AppContext } from "../http/context.ts";
import { problem, ProblemError } from "../http/problem.ts";
import { rateLimitHeaders, takeQuota, type RateLimitDecision } from "../platform/rate-limit-client.ts";
import { namespaceIn } from "../platform/residency.ts";
import { hashApiKey, looksLikeApiKey, looksLikePlatformKey } from "./api-key.ts";
import { enrollmentPrincipal } from "./enrollment.ts";
import { noteKeyUsed } from "./key-usage.ts";
import { pastDueGate } from "./past-due.ts";
import { cachePrincipal, cachedPrincipal } from "./principal-cache.ts";
import { hasScope, jurisdictionOf, type Principal } from "./principal.ts";
import { isRevoked, keyRevokedHere, revokedHere } from "./revocation.ts";
import { checkCsrf, cookieSessionToken, setSessionCookie } from "./browser-session.ts";
import { renewalDue, renewUserSessionToken, verifySessionToken } from "./session-token.ts";

const WWW_AUTHENTICATE = { "www-authenticate": 'Bearer realm="securebase"' };

export const unauthorized = (c: AppContext, detail: string) =>
  problem(c, 401, "unauthorized", "Unauthorized", detail, { headers: WWW_AUTHENTICATE });

interface ApiKeyRow extends Record<string, unknown> {
  key_id: string;
  customer_id: string;
  scopes: string[];
  mode: "live" | "test";
  expires_at: Date | null;
  tier: Principal["tier"];
  rate_limit_per_minute: number;
  data_jurisdiction: Principal["dataJurisdiction"];
}

/** API key -> principal: memory, then KV, then one SECURITY DEFINER lookup in Postgres. */
async function principalForApiKey(c: AppContext, key: string): Promise<Principal | undefined> {
  const keyHash = await hashApiKey(key);
  // On a miss, the generation read before the lookup (docs/auth.md, "Revocation and its bound").
  const cached = await cachedPrincipal(c.env.AUTH_CACHE, keyHash);
  if (cached.principal) return cached.principal;
  const [row] = await c.var.db.system<ApiKeyRow>(
    "SELECT key_id, customer_id, scopes, mode, expires_at, tier, rate_limit_per_minute, data_jurisdiction FROM app.resolve_api_key(decode($1, 'hex'))",
    [keyHash],
  );
  if (!row) return undefined;
  const principal: Principal = {
    kind: "api_key",
    customerId: row.customer_id,
    keyId: row.key_id,
    userId: null,
    sessionId: null,
    role: null,
    superAdmin: false,
    mode: row.mode,
    tier: row.tier,
    scopes: row.scopes,
    rateLimitPerMinute: row.rate_limit_per_minute,
    dataJurisdiction: row.data_jurisdiction,
    expiresAt: row.expires_at ? new Date(row.expires_at).getTime() : null,
  };
  // A lookup that raced a revocation on this isolate must not put the key back in the cache.
  // (Other isolates: cachePrincipal writes nothing if the generation changed since the read.)
  if (!keyRevokedHere(principal.keyId!))
    c.executionCtx.waitUntil(cachePrincipal(c.env.AUTH_CACHE, keyHash, principal, cached.generation));
  return principal;
}

interface PlatformKeyRow extends Record<string, unknown> {
  key_id: string;
  home_customer_id: string;
  scopes: string[];
  tier: Principal["tier"];
  rate_limit_per_minute: number;
  data_jurisdiction: Principal["dataJurisdiction"];
}

/** Platform key -> platform principal, through the same cache tiers as customer keys. */
async function principalForPlatformKey(c: AppContext, key: string): Promise<Principal | undefined> {
  const keyHash = await hashApiKey(key);
  const cached = await cachedPrincipal(c.env.AUTH_CACHE, keyHash);
  if (cached.principal) return cached.principal;
  const [row] = await c.var.db.system<PlatformKeyRow>(
    "SELECT key_id, home_customer_id, scopes, tier, rate_limit_per_minute, data_jurisdiction FROM app.resolve_platform_key(decode($1, 'hex'))",
    [keyHash],
  );
  if (!row) return undefined;
  const principal: Principal = {
    kind: "platform_key",
    customerId: row.home_customer_id,
    keyId: row.key_id,
    userId: null,
    sessionId: null,
    role: null,
    superAdmin: false,
    mode: "live",
    tier: row.tier,
    scopes: row.scopes,
    rateLimitPerMinute: row.rate_limit_per_minute,
    dataJurisdiction: row.data_jurisdiction,
    expiresAt: null,
  };
  if (!keyRevokedHere(row.key_id))
    c.executionCtx.waitUntil(cachePrincipal(c.env.AUTH_CACHE, keyHash, principal, cached.generation));
  return principal;
}

/** The bearer token of the request, if it sent one. */
export function bearerToken(c: AppContext): string | undefined {
  return /^Bearer\s+(\S+)\s*$/i.exec(c.req.header("authorization") ?? "")?.[1];
}

export function authenticate(
  /** platformScope: a platform key holding this scope may call the route (no other route takes one). */
  options: { apiKeyOnly?: boolean; enrollment?: boolean; platformScope?: string } = {},
) {
  return createMiddleware<AppEnv>(async (c, next) => {
    const bearer = bearerToken(c);
    // The portal's HttpOnly cookie (browser-session.ts) when no Authorization header is sent.
    const cookie = bearer || options.apiKeyOnly ? undefined : cookieSessionToken(c);
    const token = bearer ?? cookie;
    if (!token)
      return unauthorized(
        c,
        "Send an API key or session token as 'Authorization: Bearer <token>' (or sign in with ?session=cookie).",
      );
    // MFA enrolment routes also take an enrolment token (worker/auth/enrollment.ts), as a Bearer
    // token only; no other route does.
    const enrolling =
      options.enrollment && bearer ? await enrollmentPrincipal(c.env.SESSION_SIGNING_KEYS, bearer) : undefined;
    if (enrolling) {
      c.set("principal", enrolling);
      c.var.db.checkSubjectOnWrites(subjectAliveSql(enrolling), () => unauthorizedError());
      return next();
    }
    let principal: Principal | undefined;
    if (bearer && looksLikePlatformKey(bearer)) {
      principal = await principalForPlatformKey(c, bearer);
    } else if (looksLikeApiKey(token)) {
      principal = await principalForApiKey(c, token);
      if (principal) noteKeyUsed(c, principal);
    } else if (options.apiKeyOnly) {
      return unauthorized(c, "This endpoint takes an API key (sb_live_… or sb_test_…), not a session token.");
    } else {
      principal = await verifySessionToken(c.env.SESSION_SIGNING_KEYS, token);
    }
    if (!principal || (principal.expiresAt !== null && principal.expiresAt <= Date.now())) {
      return unauthorized(c, INVALID_CREDENTIALS);
    }
    // A platform key acts for the platform, on the routes of its scopes only (docs/auth.md).
    if (
      principal.kind === "platform_key" &&
      !(options.platformScope && principal.scopes.includes(options.platformScope))
    )
      return problem(
        c,
        403,
        "insufficient-permission",
        "Forbidden",
        "Platform keys may only call routes of their scopes.",
      );
    if (cookie) {
      // Only user sessions ride in the cookie, and only same-origin pages may use it to write.
      if (principal.kind !== "user_session") return unauthorized(c, INVALID_CREDENTIALS);
      await checkCsrf(c, principal.sessionId!);
    }
    c.set("principal", principal);
    // Caches (KV, this isolate) may hold a principal whose user or key is gone: writes verify it.
    c.var.db.checkSubjectOnWrites(subjectAliveSql(principal), () => unauthorizedError());
    // DUNNING_SUSPEND_AT (docs/billing.md, "Suspension"): 402 for a past-due customer, no DB work.
    const proceed = pastDueGate(c, principal, next);
    if (principal.kind === "api_key" || principal.kind === "platform_key") return proceed();
    // Revoked by this isolate (logout, revocation here): refused at once, with no work done.
    if (revokedHere(principal)) return unauthorized(c, INVALID_CREDENTIALS);

    // A session token's revocation marks live in KV. Reading them first would put a KV hop in
    // front of every request; instead the read runs alongside the request: writes commit only
    // once it says the token is still good (else they roll back), and any answer is replaced
    // by a 401 if it says the token was revoked.
    const revoked = isRevoked(c.env.AUTH_CACHE, principal);
    c.var.db.holdCommitsUntil(
      revoked.then((yes) => {
        if (yes) throw unauthorizedError();
      }),
    );
    await proceed();
    if (await revoked) {
      c.res = unauthorized(c, INVALID_CREDENTIALS);
      return;
    }
    if (renewalDue(principal)) await renewSession(c, principal, !!cookie);
  });
}

/**
 * Idle timeout: a user session token lives one idle period; used past half of it, the answer
 * carries a renewed one (the cookie is replaced; a Bearer client gets it in `Session-Token`).
 */
async function renewSession(c: AppContext, principal: Principal, viaCookie: boolean): Promise<void> {
  const renewed = await renewUserSessionToken(c.env.SESSION_SIGNING_KEYS, principal);
  if (!renewed) return;
  if (viaCookie) setSessionCookie(c, renewed.token, renewed.expiresIn);
  else c.res.headers.set("session-token", renewed.token);
}

const INVALID_CREDENTIALS = "The credentials are invalid, expired or revoked.";

const unauthorizedError = () =>
  new ProblemError(401, "unauthorized", "Unauthorized", INVALID_CREDENTIALS, { headers: WWW_AUTHENTICATE });

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Whether the principal's user (active) or API key (unrevoked, unexpired) still exists: app.subject_alive. */
export function subjectAliveSql(principal: Principal): string {
  const id = principal.userId ?? principal.keyId;
  if (!id || !UUID.test(id)) return "SELECT false AS alive";
  if (principal.kind === "platform_key") return `SELECT app.platform_key_alive('${id}'::uuid) AS alive`;
  return principal.userId
    ? `SELECT app.subject_alive('${id}'::uuid, NULL) AS alive`
    : `SELECT app.subject_alive(NULL, '${id}'::uuid) AS alive`;
}

export function requirePermission(permission: string) {
  return createMiddleware<AppEnv>(async (c, next) => {
    if (!hasScope(c.var.principal, permission)) {
      return problem(
        c,
        403,
        "insufficient-permission",
        "Forbidden",
        `These credentials lack the '${permission}' permission.`,
      );
    }
    await next();
  });
}

/** Platform staff only (SecureBase super_admin users). */
export const requireSuperAdmin = createMiddleware<AppEnv>(async (c, next) => {
  if (!c.var.principal.superAdmin) {
    return problem(
      c,
      403,
      "insufficient-permission",
      "Forbidden",
      "Only SecureBase platform staff (super_admin) may do this.",
    );
  }
  await next();
});

/** Staff, or a platform key holding `scope` (authenticate() admitted it only if it does). */
export function requireSuperAdminOrPlatformScope(scope: string) {
  return createMiddleware<AppEnv>(async (c, next) => {
    const principal = c.var.principal;
    if (principal.kind === "platform_key" && principal.scopes.includes(scope)) return next();
    return requireSuperAdmin(c, next);
  });
}

/**
 * Per-subject request quota by tier (tier_features.api_rate_limit_per_minute), decided without a
 * sequential hop on warm requests (see takeQuota). Without a local lease, a read runs in
 * parallel with the Durable Object's answer and is discarded if refused (nothing changed, so
 * nothing is lost); a write waits for the answer, so a refused write never executes.
 */
export const rateLimit = createMiddleware<AppEnv>(async (c, next) => {
  const principal = c.var.principal;
  const subject = principal.userId ? `user:${principal.userId}` : `key:${principal.keyId}`;
  // docs/residency.md: the quota's Durable Object lives in the customer's jurisdiction.
  const limiter = namespaceIn(c.env.RATE_LIMITER, jurisdictionOf(principal), c.env.ENVIRONMENT);
  const quota = takeQuota(limiter, subject, principal.rateLimitPerMinute, 60, (work) => c.executionCtx.waitUntil(work));
  const refused = (decision: RateLimitDecision) =>
    problem(
      c,
      429,
      "rate-limited",
      "Too many requests",
      `Rate limit of ${decision.limit} requests per minute exceeded; retry after ${decision.resetSeconds} s.`,
      {
        headers: rateLimitHeaders(decision),
      },
    );
  let decision = quota.local;
  if (!decision) {
    const isRead = c.req.method === "GET" || c.req.method === "HEAD";
    if (isRead) {
      const [answer] = await Promise.all([quota.remote!, next()]);
      decision = answer;
      if (!decision.allowed) {
        c.res = refused(decision);
        return;
      }
    } else {
      decision = await quota.remote!;
      if (!decision.allowed) return refused(decision);
      await next();
    }
  } else {
    await next();
  }
  for (const [name, value] of Object.entries(rateLimitHeaders(decision))) c.res.headers.set(name, value);
});
