// Calling the rate limiter from a request: the decision and its RateLimit-* headers. Kept apart
// from the Durable Object class (rate-limit-counter.ts), which needs the Workers runtime to load, so
// the route graph also loads in Node (e.g. to generate the OpenAPI document).
import type { RateLimitDecision, RateLimiter, RateLimitLease } from "./rate-limit-counter.ts";

export type { RateLimitDecision, RateLimitLease };

/** An exact, sequential check: logins, invite acceptance — where every attempt must count. */
export async function consumeRateLimit(
  namespace: DurableObjectNamespace<RateLimiter>,
  subject: string,
  limit: number,
  windowSeconds: number,
): Promise<RateLimitDecision> {
  const stub = namespace.get(namespace.idFromName(subject));
  return stub.consume(limit, windowSeconds);
}

/** Gives back an attempt consumeRateLimit() counted, once it is known not to count. */
export async function releaseRateLimit(namespace: DurableObjectNamespace<RateLimiter>, subject: string): Promise<void> {
  await namespace.get(namespace.idFromName(subject)).release(1);
}

export function rateLimitHeaders(decision: RateLimitDecision): Record<string, string> {
  return {
    "RateLimit-Limit": String(decision.limit),
    "RateLimit-Remaining": String(decision.remaining),
    "RateLimit-Reset": String(decision.resetSeconds),
    ...(decision.allowed ? {} : { "Retry-After": String(decision.resetSeconds) }),
  };
}

// ---- Per-request API quotas without a sequential hop --------------------------------------
// Each isolate leases a slice of a subject's window from its Durable Object and spends it
// locally: a warm request decides in memory, and the lease is topped up in the background
// (waitUntil) when it runs low. The object counts leased requests as used, so a window never
// serves more than its limit, whatever the number of isolates (overshoot 0; the fixed window's
// boundary still allows 2x the limit across two adjacent windows). The price: requests leased
// to an isolate that then goes quiet are unavailable to others until the window ends — at most
// (isolates - 1) x leaseSize(limit) early refusals per window.

interface IsolateLease {
  tokens: number;
  windowRemaining: number;
  limit: number;
  windowEndsAt: number;
  topUp?: Promise<void>;
}

const leases = new Map<string, IsolateLease>();
const MAX_LEASED_SUBJECTS = 10_000;

/** How much of a window one isolate takes at a time: 5 % of the limit, 1 to 50 requests. */
export const leaseSize = (limit: number) => Math.max(1, Math.min(50, Math.floor(limit / 20)));

function decisionFrom(lease: IsolateLease, now: number, allowed: boolean): RateLimitDecision {
  return {
    allowed,
    limit: lease.limit,
    remaining: lease.windowRemaining + lease.tokens,
    resetSeconds: Math.max(1, Math.ceil((lease.windowEndsAt - now) / 1000)),
  };
}

async function fetchLease(
  namespace: DurableObjectNamespace<RateLimiter>,
  subject: string,
  limit: number,
  windowSeconds: number,
): Promise<IsolateLease> {
  const stub = namespace.get(namespace.idFromName(subject));
  const grant = await stub.lease(limit, windowSeconds, leaseSize(limit));
  const now = Date.now();
  const current = leases.get(subject);
  const sameWindow = current && current.windowEndsAt > now;
  const lease: IsolateLease = {
    tokens: (sameWindow ? current.tokens : 0) + grant.granted,
    windowRemaining: grant.remaining,
    limit: grant.limit,
    windowEndsAt: now + grant.resetSeconds * 1000,
  };
  if (leases.size >= MAX_LEASED_SUBJECTS && !leases.has(subject)) leases.delete(leases.keys().next().value!);
  leases.set(subject, lease);
  return lease;
}

export interface QuotaCheck {
  /** Decided in memory, with no call to the Durable Object on the request's path. */
  local: RateLimitDecision | null;
  /** Otherwise: the Durable Object's answer, which the caller may await in parallel with its work. */
  remote?: Promise<RateLimitDecision>;
}

/**
 * Takes one request from the subject's quota. `background` receives the top-up promise so the
 * caller can hand it to ctx.waitUntil.
 */
export function takeQuota(
  namespace: DurableObjectNamespace<RateLimiter>,
  subject: string,
  limit: number,
  windowSeconds: number,
  background: (work: Promise<unknown>) => void,
): QuotaCheck {
  const now = Date.now();
  const lease = leases.get(subject);
  if (lease && lease.windowEndsAt > now && lease.limit === limit && lease.tokens > 0) {
    lease.tokens -= 1;
    if (lease.tokens <= leaseSize(limit) / 4 && !lease.topUp && lease.windowRemaining > 0) {
      lease.topUp = fetchLease(namespace, subject, limit, windowSeconds)
        .then(() => undefined)
        .catch(() => undefined)
        .finally(() => {
          const current = leases.get(subject);
          if (current) current.topUp = undefined;
        });
      background(lease.topUp);
    }
    return { local: decisionFrom(lease, now, true) };
  }
  const remote = fetchLease(namespace, subject, limit, windowSeconds).then((fresh) => {
    const allowed = fresh.tokens > 0;
    if (allowed) fresh.tokens -= 1;
    return decisionFrom(fresh, Date.now(), allowed);
  });
  return { local: null, remote };
}

/** Forgets this isolate's leases (tests that need a cold isolate). */
export function forgetLeases(): void {
  leases.clear();
}
