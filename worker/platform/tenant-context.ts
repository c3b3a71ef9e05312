// The signed tenant context (see db/migrations/0001_foundation.sql). The Worker signs what it
// knows about the caller with DB_CONTEXT_KEY; Postgres verifies the signature on every read of
// the context with the same key, which no login role can read. SQL that runs as the API role can
// therefore not pick another tenant, even by calling set_config itself.
//
// Written by hand on WebCrypto: it is one HMAC over a string, and jose's JWS framing would only
// make the SQL side parse base64url for nothing.

import { fromBase64, toHex } from "./encoding.ts";

export interface TenantContext {
  customerId: string;
  userId?: string | null;
  role?: string | null;
  superAdmin?: boolean;
}

/** How long a signed context is accepted: it only has to outlive one request's transaction. */
export const CONTEXT_TTL_SECONDS = 120;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const ROLE = /^[a-z_]{1,32}$/;

const keys = new Map<string, Promise<{ kid: string; key: CryptoKey }>>();

/** "kid:base64url-secret" -> an HMAC-SHA256 signing key, imported once per isolate. */
function signingKey(config: string): Promise<{ kid: string; key: CryptoKey }> {
  let entry = keys.get(config);
  if (!entry) {
    const separator = config.indexOf(":");
    const kid = config.slice(0, separator);
    const secret = fromBase64(config.slice(separator + 1));
    if (separator < 1 || secret.length < 32)
      throw new Error("DB_CONTEXT_KEY must be kid:<base64url secret of >= 32 bytes>");
    entry = crypto.subtle
      .importKey("raw", secret, { name: "HMAC", hash: "SHA-256" }, false, ["sign"])
      .then((key) => ({ kid, key }));
    keys.set(config, entry);
  }
  return entry;
}

export interface SignedContext {
  context: string;
  signature: string;
}

export async function signTenantContext(config: string, ctx: TenantContext, now = Date.now()): Promise<SignedContext> {
  const customerId = ctx.customerId.toLowerCase();
  const userId = ctx.userId?.toLowerCase() ?? null;
  if (!UUID.test(customerId) || (userId !== null && !UUID.test(userId)))
    throw new Error("tenant context requires uuids");
  if (ctx.role != null && !ROLE.test(ctx.role)) throw new Error("tenant context role is malformed");
  const { kid, key } = await signingKey(config);
  const context = JSON.stringify({
    kid,
    cid: customerId,
    uid: userId,
    role: ctx.role ?? null,
    sa: ctx.superAdmin === true,
    exp: Math.floor(now / 1000) + CONTEXT_TTL_SECONDS,
  });
  const mac = new Uint8Array(await crypto.subtle.sign("HMAC", key, new TextEncoder().encode(context)));
  return { context, signature: toHex(mac) };
}

/** The SQL that installs a signed context in the current transaction (values are validated above). */
export function setContextSql(signed: SignedContext): string {
  const literal = (text: string) => `'${text.replaceAll("'", "''")}'`;
  return `SELECT set_config('app.context', ${literal(signed.context)}, true), set_config('app.context_sig', ${literal(signed.signature)}, true)`;
}
