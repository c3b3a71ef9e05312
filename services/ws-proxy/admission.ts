// Who may open a connection through the proxy (docs/security.md, "WebSocket proxy").
//
// The ALB in front of the deployed proxy admits the whole Cloudflare network, so the network is
// not the gate: each client proves, before the WebSocket upgrade, that it holds the key shared
// with the Worker (DB_PROXY_TOKEN_KEY there, WSPROXY_TOKEN_KEY here). The Worker signs a short
// HS256 JWT per connection (worker/platform/database-proxy-token.ts) naming the one target it
// may reach; the proxy checks signature, audience, age and target with jose.
// Then concurrent connections are capped per source address and in total, so one caller (or a
// leaked token) cannot take every connection the proxy and the RDS Proxy behind it can hold.
import type { IncomingMessage } from "node:http";
import { base64url, jwtVerify } from "jose";

/** The audience every proxy token must name. */
export const PROXY_TOKEN_AUDIENCE = "ws-proxy";
/** A token is accepted for this long after it was issued (and its exp may not be later). */
export const PROXY_TOKEN_MAX_AGE_SECONDS = 60;
/** Default concurrent connections from one source address. */
export const DEFAULT_MAX_PER_SOURCE = 200;
/** Default concurrent connections in total. */
export const DEFAULT_MAX_CONNECTIONS = 2000;

/** The HMAC key from its base64url text; short keys are refused (HS256 wants ≥ 256 bits). */
export function proxyTokenKey(text: string): Uint8Array {
  let key: Uint8Array;
  try {
    key = base64url.decode(text.trim());
  } catch {
    key = new Uint8Array();
  }
  if (key.length < 32) throw new Error("the proxy token key must be at least 32 bytes, base64url-encoded");
  return key;
}

/** True when `token` is a valid proxy token for `target` under `key`. Never throws. */
export async function tokenAdmits(token: string, key: Uint8Array, target: string): Promise<boolean> {
  if (!token) return false;
  try {
    const { payload } = await jwtVerify(token, key, {
      algorithms: ["HS256"],
      audience: PROXY_TOKEN_AUDIENCE,
      requiredClaims: ["iat", "exp"],
      maxTokenAge: PROXY_TOKEN_MAX_AGE_SECONDS,
      clockTolerance: 5,
    });
    const lifetime = (payload.exp ?? 0) - (payload.iat ?? 0);
    return payload.addr === target && lifetime > 0 && lifetime <= PROXY_TOKEN_MAX_AGE_SECONDS;
  } catch {
    return false;
  }
}

export interface ConnectionLimits {
  maxPerSource: number;
  maxTotal: number;
  /**
   * Take the source from the last X-Forwarded-For entry (the address the load balancer saw).
   * Only behind a load balancer that appends it and is the only way in (the deployed ALB);
   * elsewhere a client could name any source.
   */
  trustForwardedFor: boolean;
}

/** Open connections per source address, within the limits. */
export class ConnectionCounter {
  readonly #bySource = new Map<string, number>();
  #total = 0;
  readonly limits: ConnectionLimits;

  constructor(limits: ConnectionLimits) {
    this.limits = limits;
  }

  source(req: IncomingMessage): string {
    if (this.limits.trustForwardedFor) {
      const forwarded = String(req.headers["x-forwarded-for"] ?? "")
        .split(",")
        .map((entry) => entry.trim())
        .filter(Boolean)
        .at(-1);
      if (forwarded) return forwarded;
    }
    return req.socket.remoteAddress ?? "unknown";
  }

  /** Counts a connection from `source`, or returns false (and counts nothing) when over a limit. */
  acquire(source: string): boolean {
    const open = this.#bySource.get(source) ?? 0;
    if (open >= this.limits.maxPerSource || this.#total >= this.limits.maxTotal) return false;
    this.#bySource.set(source, open + 1);
    this.#total += 1;
    return true;
  }

  release(source: string): void {
    const open = (this.#bySource.get(source) ?? 0) - 1;
    if (open > 0) this.#bySource.set(source, open);
    else this.#bySource.delete(source);
    this.#total -= 1;
  }
}
