// Per-key rate limiting in a Durable Object: one object per limited subject (an API key, a
// user, a login email or IP), so counts are exact and global, and the response can carry
// RateLimit-Remaining/Reset (the Workers Rate Limiting binding only answers yes/no, with limits
// fixed in wrangler.toml, while ours vary by tier).
//
// Fixed windows of `windowSeconds`, starting at a subject's first request: simple, exact
// headers; a client can burst up to twice the limit across a window boundary (documented).
// State lives in the object's memory: an evicted object forgets its window, which only ever
// errs towards allowing.
import { DurableObject } from "cloudflare:workers";

import type { RateLimitDecision } from "./rate-limit.ts";

export class RateLimiter extends DurableObject {
  #windowStart = 0;
  #count = 0;

  consume(limit: number, windowSeconds: number, cost = 1): RateLimitDecision {
    const now = Date.now();
    const windowMs = windowSeconds * 1000;
    if (now - this.#windowStart >= windowMs) {
      this.#windowStart = now;
      this.#count = 0;
    }
    const allowed = this.#count + cost <= limit;
    if (allowed) this.#count += cost;
    return {
      allowed,
      limit,
      remaining: Math.max(0, limit - this.#count),
      resetSeconds: Math.max(1, Math.ceil((this.#windowStart + windowMs - now) / 1000)),
    };
  }
}
