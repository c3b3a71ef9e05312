// The payment provider's webhook signature (docs/billing.md, "Provider webhook"), Stripe's scheme:
// `Payment-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>">`. Several v1
// values may be sent and several secrets configured (comma-separated, for rotation): any pair
// that matches is enough. The HMAC is checked with crypto.subtle.verify, which compares in
// constant time; the timestamp must be within 5 minutes of now, so a captured request cannot be
// replayed later (and the provider event id is applied once besides).
import { fromHex, toHex } from "../platform/encoding.ts";

export const SIGNATURE_HEADER = "payment-signature";
export const TOLERANCE_SECONDS = 5 * 60;

export type SignatureCheck = { ok: true } | { ok: false; reason: "missing" | "malformed" | "stale" | "mismatch" };

const encoder = new TextEncoder();

function parseHeader(header: string): { timestamp: number; signatures: string[] } | undefined {
  let timestamp: number | undefined;
  const signatures: string[] = [];
  for (const part of header.split(",")) {
    const [key, value] = part.trim().split("=", 2);
    if (key === "t" && value && /^\d{1,12}$/.test(value)) timestamp = Number(value);
    else if (key === "v1" && value && /^[0-9a-f]{64}$/i.test(value)) signatures.push(value.toLowerCase());
  }
  return timestamp === undefined || signatures.length === 0 ? undefined : { timestamp, signatures };
}

/** Checks the header against the raw body with each configured secret. */
export async function verifySignature(
  secrets: string | undefined,
  header: string | undefined,
  rawBody: string,
  nowMs = Date.now(),
): Promise<SignatureCheck> {
  if (!header) return { ok: false, reason: "missing" };
  const parsed = parseHeader(header);
  if (!parsed) return { ok: false, reason: "malformed" };
  if (Math.abs(nowMs / 1000 - parsed.timestamp) > TOLERANCE_SECONDS) return { ok: false, reason: "stale" };
  const signed = encoder.encode(`${parsed.timestamp}.${rawBody}`);
  for (const secret of (secrets ?? "").split(",").map((s) => s.trim())) {
    if (!secret) continue;
    const key = await crypto.subtle.importKey("raw", encoder.encode(secret), { name: "HMAC", hash: "SHA-256" }, false, [
      "verify",
    ]);
    for (const signature of parsed.signatures) {
      if (await crypto.subtle.verify("HMAC", key, fromHex(signature), signed)) return { ok: true };
    }
  }
  return { ok: false, reason: "mismatch" };
}

/** What the provider (and the tests) send: the header for `body` signed with `secret` at `timestamp`. */
export async function signatureHeader(secret: string, body: string, timestamp: number): Promise<string> {
  const key = await crypto.subtle.importKey("raw", encoder.encode(secret), { name: "HMAC", hash: "SHA-256" }, false, [
    "sign",
  ]);
  const mac = new Uint8Array(await crypto.subtle.sign("HMAC", key, encoder.encode(`${timestamp}.${body}`)));
  return `t=${timestamp},v1=${toHex(mac)}`;
}
