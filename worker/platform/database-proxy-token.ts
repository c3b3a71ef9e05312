// The token the Worker shows the WebSocket proxy before it upgrades (docs/security.md,
// "WebSocket proxy"): an HS256 JWT signed with jose under DB_PROXY_TOKEN_KEY, for audience
// "ws-proxy", naming the one host:port it may reach, valid 60 s. The proxy
// (services/ws-proxy/admission.ts) holds the same key. The neon driver only lets the Worker build
// the proxy URL (neonConfig.wsProxy), so the token travels as a query parameter of that URL —
// inside wss, and the proxy logs no URLs.
import { base64url, SignJWT } from "jose";
import type { Env } from "../env.ts";

export const PROXY_TOKEN_AUDIENCE = "ws-proxy";
export const PROXY_TOKEN_LIFETIME_SECONDS = 60;

let cachedKey: { text: string; key: Uint8Array } | undefined;

function keyFrom(text: string | undefined): Uint8Array {
  if (cachedKey && cachedKey.text === text) return cachedKey.key;
  let key: Uint8Array = new Uint8Array();
  try {
    key = base64url.decode((text ?? "").trim());
  } catch {
    // reported below
  }
  if (key.length < 32) throw new Error("DB_PROXY_TOKEN_KEY must be a base64url secret of at least 32 bytes");
  cachedKey = { text: text ?? "", key };
  return key;
}

/** A fresh token for one connection to `target` ("host:port"), as the proxy checks it. */
export async function signProxyToken(env: Pick<Env, "DB_PROXY_TOKEN_KEY">, target: string): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({ addr: target })
    .setProtectedHeader({ alg: "HS256", typ: "JWT" })
    .setAudience(PROXY_TOKEN_AUDIENCE)
    .setIssuedAt(now)
    .setExpirationTime(now + PROXY_TOKEN_LIFETIME_SECONDS)
    .sign(keyFrom(env.DB_PROXY_TOKEN_KEY));
}

/** The host:port the driver will ask the proxy for, from a postgres:// URL. */
export function proxyTarget(connectionString: string): string {
  const url = new URL(connectionString);
  return `${url.hostname}:${url.port || "5432"}`;
}
