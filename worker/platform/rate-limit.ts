// Calling the rate limiter from a request: the decision and its RateLimit-* headers. Kept apart
// from the Durable Object class (rate-limiter.ts), which needs the Workers runtime to load, so
// the route graph also loads in Node (e.g. to generate the OpenAPI document).
import type { RateLimiter } from "./rate-limiter.ts";

export interface RateLimitDecision {
  allowed: boolean;
  limit: number;
  remaining: number;
  /** Seconds until the window resets. */
  resetSeconds: number;
}

export async function consumeRateLimit(
  namespace: DurableObjectNamespace<RateLimiter>,
  subject: string,
  limit: number,
  windowSeconds: number,
): Promise<RateLimitDecision> {
  const stub = namespace.get(namespace.idFromName(subject));
  return stub.consume(limit, windowSeconds);
}

export function rateLimitHeaders(decision: RateLimitDecision): Record<string, string> {
  return {
    "RateLimit-Limit": String(decision.limit),
    "RateLimit-Remaining": String(decision.remaining),
    "RateLimit-Reset": String(decision.resetSeconds),
    ...(decision.allowed ? {} : { "Retry-After": String(decision.resetSeconds) }),
  };
}
