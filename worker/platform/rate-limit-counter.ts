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

export interface RateLimitDecision {
  allowed: boolean;
  limit: number;
  remaining: number;
  /** Seconds until the window resets. */
  resetSeconds: number;
}

export interface RateLimitLease {
  /** Requests granted to the caller's isolate out of the current window. */
  granted: number;
  limit: number;
  /** What the window has left after this grant (not counting any isolate's unspent lease). */
  remaining: number;
  resetSeconds: number;
}

export class RateLimiter extends DurableObject {
  #windowStart = 0;
  #count = 0;
  /** Calls answered, for tests and benchmarks that count hops to the object. */
  #calls = 0;

  #roll(windowSeconds: number): number {
    const now = Date.now();
    if (now - this.#windowStart >= windowSeconds * 1000) {
      this.#windowStart = now;
      this.#count = 0;
    }
    return now;
  }

  #resetSeconds(now: number, windowSeconds: number): number {
    return Math.max(1, Math.ceil((this.#windowStart + windowSeconds * 1000 - now) / 1000));
  }

  /**
   * Grants up to `want` requests of the current window to one isolate, which spends them
   * locally (worker/platform/rate-limit-client.ts). Granted counts as used: the window can never
   * serve more than `limit`, however many isolates hold leases.
   */
  lease(limit: number, windowSeconds: number, want: number): RateLimitLease {
    this.#calls += 1;
    const now = this.#roll(windowSeconds);
    const granted = Math.max(0, Math.min(want, limit - this.#count));
    this.#count += granted;
    return { granted, limit, remaining: limit - this.#count, resetSeconds: this.#resetSeconds(now, windowSeconds) };
  }

  calls(): number {
    return this.#calls;
  }

  /**
   * Gives back what a consume() reserved, when the attempt turned out not to count (a login whose
   * password was right: only failures count). Never below zero; a window that rolled meanwhile
   * may get back one it did not take, which errs towards allowing.
   */
  release(cost = 1): void {
    this.#calls += 1;
    this.#count = Math.max(0, this.#count - cost);
  }

  consume(limit: number, windowSeconds: number, cost = 1): RateLimitDecision {
    this.#calls += 1;
    const now = this.#roll(windowSeconds);
    const allowed = this.#count + cost <= limit;
    if (allowed) this.#count += cost;
    return {
      allowed,
      limit,
      remaining: Math.max(0, limit - this.#count),
      resetSeconds: this.#resetSeconds(now, windowSeconds),
    };
  }
}
