// A stand-in for Amazon SNS in the tests: an RSA key and a self-signed certificate made here
// (@peculiar/x509 over WebCrypto), the certificate served from the local sink on 127.0.0.1 (an
// allowed SNS host only when ENVIRONMENT is test: SNS_TEST_ORIGINS), and messages signed the way
// SNS documents it. The canonical string is written out here independently of the Worker's.
import "reflect-metadata";
import * as x509 from "@peculiar/x509";
import { env } from "cloudflare:workers";
import { sinkUrl } from "./sink.ts";

export interface SnsMessage {
  Type: "Notification" | "SubscriptionConfirmation" | "UnsubscribeConfirmation";
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

const RSA = { name: "RSASSA-PKCS1-v1_5", modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]) };
let tag = 0;
export const uniqueName = (prefix: string) =>
  `${prefix}-${Date.now().toString(36)}${(tag++).toString(36)}${Math.random().toString(36).slice(2, 8)}`;

/** PUT a file on the sink; returns its URL. */
export async function hostFile(name: string, body: string): Promise<string> {
  const response = await fetch(`${sinkUrl()}/files/${name}`, { method: "PUT", body });
  if (!response.ok) throw new Error(`sink: ${response.status}`);
  return `${sinkUrl()}/files/${name}`;
}

/** How often the sink served a file, and the query string of each fetch. */
export async function fetchesOf(name: string): Promise<{ count: number; queries: string[] }> {
  return (await fetch(`${sinkUrl()}/files/${name}/fetches`)).json();
}

export const TOPIC_ARN = () => env.SES_NOTIFICATIONS_TOPIC_ARN!;

/** Per the SNS documentation: "Name\nValue\n" for each signed field present, in this order. */
function stringToSign(m: Omit<SnsMessage, "Signature" | "SignatureVersion" | "SigningCertURL">): string {
  const fields =
    m.Type === "Notification"
      ? (["Message", "MessageId", "Subject", "Timestamp", "TopicArn", "Type"] as const)
      : (["Message", "MessageId", "SubscribeURL", "Timestamp", "Token", "TopicArn", "Type"] as const);
  return fields
    .filter((f) => m[f] !== undefined)
    .map((f) => `${f}\n${m[f]}\n`)
    .join("");
}

export interface SnsSigner {
  certUrl: string;
  certName: string;
  /** A signed message; `overrides` apply before signing (TopicArn, MessageId, …). */
  message(
    type: SnsMessage["Type"],
    fields: Partial<Omit<SnsMessage, "Type" | "Signature">>,
    version?: "1" | "2",
  ): Promise<SnsMessage>;
}

/** A fresh key pair and certificate, hosted on the sink. */
export async function snsSigner(): Promise<SnsSigner> {
  x509.cryptoProvider.set(crypto);
  const keys = (await crypto.subtle.generateKey({ ...RSA, hash: "SHA-256" }, true, [
    "sign",
    "verify",
  ])) as CryptoKeyPair;
  const now = Date.now();
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: "01",
    name: "CN=sns.us-east-1.amazonaws.com",
    notBefore: new Date(now - 3600_000),
    notAfter: new Date(now + 24 * 3600_000),
    signingAlgorithm: { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256" },
    keys,
  });
  const pkcs8 = await crypto.subtle.exportKey("pkcs8", keys.privateKey);
  const sha1 = await crypto.subtle.importKey("pkcs8", pkcs8, { name: RSA.name, hash: "SHA-1" }, false, ["sign"]);
  const certName = `${uniqueName("SimpleNotificationService")}.pem`;
  const certUrl = await hostFile(certName, cert.toString("pem"));
  return {
    certUrl,
    certName,
    async message(type, fields, version = "2") {
      const unsigned = {
        Type: type,
        MessageId: crypto.randomUUID(),
        TopicArn: TOPIC_ARN(),
        Message: "",
        Timestamp: new Date().toISOString(),
        ...fields,
      };
      const signature = await crypto.subtle.sign(
        RSA.name,
        version === "1" ? sha1 : keys.privateKey,
        new TextEncoder().encode(stringToSign(unsigned)),
      );
      return {
        SignatureVersion: version,
        SigningCertURL: certUrl,
        ...unsigned,
        Signature: btoa(String.fromCharCode(...new Uint8Array(signature))),
      };
    },
  };
}

/** The SES event SNS carries for a bounce (configuration set event publishing: `eventType`). */
export const bounceEvent = (bounceType: "Permanent" | "Transient", addresses: string[]) =>
  JSON.stringify({
    eventType: "Bounce",
    bounce: {
      bounceType,
      bounceSubType: bounceType === "Permanent" ? "General" : "MailboxFull",
      bouncedRecipients: addresses.map((emailAddress) => ({
        emailAddress,
        action: "failed",
        status: "5.1.1",
        diagnosticCode: "smtp; 550 5.1.1 user unknown",
      })),
      timestamp: new Date().toISOString(),
      feedbackId: crypto.randomUUID(),
    },
    mail: { timestamp: new Date().toISOString(), source: "notifications@securebase.test", destination: addresses },
  });

export const complaintEvent = (addresses: string[]) =>
  JSON.stringify({
    eventType: "Complaint",
    complaint: {
      complainedRecipients: addresses.map((emailAddress) => ({ emailAddress })),
      complaintFeedbackType: "abuse",
      timestamp: new Date().toISOString(),
      feedbackId: crypto.randomUUID(),
    },
    mail: { timestamp: new Date().toISOString(), source: "notifications@securebase.test", destination: addresses },
  });

/** POSTs a message as SNS does (text/plain, the message type header). */
export const deliver = (call: (path: string, init: RequestInit) => Promise<Response>, message: unknown) =>
  call("/v1/email/ses-notifications", {
    method: "POST",
    headers: {
      "content-type": "text/plain; charset=UTF-8",
      ...(typeof message === "object" && message && "Type" in message
        ? { "x-amz-sns-message-type": String((message as { Type: string }).Type) }
        : {}),
    },
    body: typeof message === "string" ? message : JSON.stringify(message),
  });
