// Amazon SNS message signatures (docs/email-suppressions.md). SNS signs a canonical string of the
// message's fields with the private key of a certificate it publishes at SigningCertURL:
// SignatureVersion 1 = SHA1withRSA, 2 = SHA256withRSA. The certificate is trusted because of
// where it comes from, so the URL check is strict: https, host sns.<region>.amazonaws.com, a
// .pem path, no port or credentials, and no redirect followed. Certificates are cached (isolate memory,
// then KV for a day): SNS signs with the same one for months.
import type { Env } from "../env.ts";
import { fromBase64, sha256, toHex } from "../platform/encoding.ts";

export type SnsType = "Notification" | "SubscriptionConfirmation" | "UnsubscribeConfirmation";

export interface SnsEnvelope {
  Type: SnsType;
  MessageId: string;
  TopicArn: string;
  Message: string;
  Timestamp: string;
  SignatureVersion: "1" | "2";
  Signature: string;
  SigningCertURL: string;
  Subject?: string;
  SubscribeURL?: string;
  Token?: string;
}

/** The fields SNS signs, per message type, in the documented (alphabetical) order. */
const SIGNED_FIELDS: Record<SnsType, (keyof SnsEnvelope)[]> = {
  Notification: ["Message", "MessageId", "Subject", "Timestamp", "TopicArn", "Type"],
  SubscriptionConfirmation: ["Message", "MessageId", "SubscribeURL", "Timestamp", "Token", "TopicArn", "Type"],
  UnsubscribeConfirmation: ["Message", "MessageId", "SubscribeURL", "Timestamp", "Token", "TopicArn", "Type"],
};

/** "Name\nValue\n" per signed field; a Notification without Subject leaves it out. */
export function canonicalString(message: SnsEnvelope): string {
  return SIGNED_FIELDS[message.Type]
    .filter((field) => message[field] !== undefined)
    .map((field) => `${field}\n${message[field]}\n`)
    .join("");
}

const SNS_HOST = /^sns\.[a-z0-9-]+\.amazonaws\.com$/;

/**
 * Origins allowed besides SNS's own, honoured only when ENVIRONMENT is "test": the tests serve a
 * locally made certificate and a confirmation receiver from 127.0.0.1 (SNS_TEST_ORIGINS).
 */
function testOrigins(env: Env & { SNS_TEST_ORIGINS?: string }): string[] {
  // Not a wrangler.toml var (no deployed environment has it): vitest.config.ts binds it.
  if (env.ENVIRONMENT !== "test") return [];
  return (env.SNS_TEST_ORIGINS ?? "")
    .split(",")
    .map((o) => o.trim())
    .filter(Boolean);
}

/** The URL if it is an SNS endpoint we may call (https://sns.<region>.amazonaws.com/…), else null. */
export function snsUrl(env: Env, raw: string | undefined, options: { pem: boolean }): URL | null {
  if (!raw) return null;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return null;
  }
  if (url.username || url.password) return null;
  if (options.pem && !url.pathname.endsWith(".pem")) return null;
  if (testOrigins(env).includes(url.origin)) return url;
  if (url.protocol !== "https:" || url.port !== "" || !SNS_HOST.test(url.hostname)) return null;
  return url;
}

const CERT_TTL_SECONDS = 24 * 3600;
const certs = new Map<string, { key: Promise<ArrayBuffer>; until: number }>();

function pemToDer(pem: string): Uint8Array {
  const match = /-----BEGIN CERTIFICATE-----([A-Za-z0-9+/=\s]+)-----END CERTIFICATE-----/.exec(pem);
  if (!match) throw new Error("not a PEM certificate");
  return fromBase64(match[1]!.replace(/\s+/g, ""));
}

/**
 * The certificate's public key (SubjectPublicKeyInfo, DER), refusing one outside its validity.
 * Parsed with @peculiar/asn1-x509 (the X.509 reader @simplewebauthn/server already ships), loaded
 * on first use like the passkey code, so isolates that never see SNS never evaluate it.
 */
async function publicKeyOf(pem: string, now: Date): Promise<ArrayBuffer> {
  const [{ AsnConvert }, { Certificate }] = await Promise.all([
    import("@peculiar/asn1-schema"),
    import("@peculiar/asn1-x509"),
  ]);
  const { validity, subjectPublicKeyInfo } = AsnConvert.parse(pemToDer(pem), Certificate).tbsCertificate;
  if (now < validity.notBefore.getTime() || now > validity.notAfter.getTime())
    throw new Error("the signing certificate is not valid now");
  return AsnConvert.serialize(subjectPublicKeyInfo);
}

async function fetchPem(env: Env, url: URL): Promise<string> {
  const kvKey = `sns-cert:${toHex(await sha256(url.href))}`;
  const cached = await env.AUTH_CACHE.get(kvKey);
  if (cached) return cached;
  const response = await fetch(url, { redirect: "manual", signal: AbortSignal.timeout(5_000) });
  if (!response.ok) throw new Error(`the signing certificate answered ${response.status}`);
  const pem = await response.text();
  if (pem.length > 16_384) throw new Error("the signing certificate is too large");
  await env.AUTH_CACHE.put(kvKey, pem, { expirationTtl: CERT_TTL_SECONDS });
  return pem;
}

function signingKey(env: Env, url: URL, now: Date): Promise<ArrayBuffer> {
  const hit = certs.get(url.href);
  if (hit && hit.until > now.getTime()) return hit.key;
  const key = fetchPem(env, url).then((pem) => publicKeyOf(pem, now));
  certs.set(url.href, { key, until: now.getTime() + CERT_TTL_SECONDS * 1000 });
  key.catch(() => certs.delete(url.href)); // a failed fetch is not cached
  return key;
}

/** Whether the message's signature verifies with the certificate at its (already checked) URL. */
export async function verifySnsSignature(env: Env, message: SnsEnvelope, certUrl: URL): Promise<boolean> {
  const hash = message.SignatureVersion === "1" ? "SHA-1" : "SHA-256";
  const spki = await signingKey(env, certUrl, new Date());
  const key = await crypto.subtle.importKey("spki", spki, { name: "RSASSA-PKCS1-v1_5", hash }, false, ["verify"]);
  let signature: Uint8Array;
  try {
    signature = fromBase64(message.Signature);
  } catch {
    return false;
  }
  return crypto.subtle.verify("RSASSA-PKCS1-v1_5", key, signature, new TextEncoder().encode(canonicalString(message)));
}
