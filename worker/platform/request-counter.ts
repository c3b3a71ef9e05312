// Requests and 5xx answers per minute, for the error_rate_5xx alert (docs/operations.md, "Alerts").
// One Durable Object ("requests") counts them: the request log bumps it once per request, off the
// response path (waitUntil), and the alert job reads the last minutes. Counts live in the
// object's storage (one key per minute, an hour kept), so an evicted object keeps them. One
// object takes on the order of a thousand bumps a second; shard by name when traffic outgrows it.
import { DurableObject } from "cloudflare:workers";

export interface MinuteCount {
  /** The minute's start, epoch ms. */
  minute: number;
  requests: number;
  errors5xx: number;
}

export const minuteOf = (epochMs: number) => Math.floor(epochMs / 60_000) * 60_000;

const KEEP_MINUTES = 60;
const keyOf = (minute: number) => `m:${String(minute).padStart(15, "0")}`;

export class RequestCounter extends DurableObject {
  /** Adds `requests` and `errors5xx` to the minute that holds `at` (epoch ms). */
  async bump(at: number, requests: number, errors5xx: number): Promise<void> {
    const minute = minuteOf(at);
    const key = keyOf(minute);
    const current = (await this.ctx.storage.get<MinuteCount>(key)) ?? { minute, requests: 0, errors5xx: 0 };
    await this.ctx.storage.put(key, {
      minute,
      requests: current.requests + requests,
      errors5xx: current.errors5xx + errors5xx,
    });
    if (current.requests === 0) await this.#prune(minute);
  }

  /** The counted minutes from `since` (epoch ms) on, oldest first. */
  async since(since: number): Promise<MinuteCount[]> {
    const rows = await this.ctx.storage.list<MinuteCount>({ start: keyOf(minuteOf(since)), prefix: "m:" });
    return [...rows.values()];
  }

  async #prune(minute: number): Promise<void> {
    const old = await this.ctx.storage.list({ prefix: "m:", end: keyOf(minute - KEEP_MINUTES * 60_000) });
    if (old.size > 0) await this.ctx.storage.delete([...old.keys()]);
  }
}
