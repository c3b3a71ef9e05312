// Bindings and variables of the Worker (wrangler.toml [vars], secrets, KV, Queues).
import type { QueueMessage } from "./events/messages.ts";
import type { RateLimiter } from "./platform/rate-limit-counter.ts";
import type { RequestCounter } from "./platform/request-counter.ts";

export interface Env {
  /** Postgres URL of the request role (sb_api): not owner, NOBYPASSRLS. */
  DATABASE_URL: string;
  /** Postgres URL of the scheduled-jobs role (sb_jobs); only cron and queue handlers use it. */
  JOBS_DATABASE_URL: string;
  /** Postgres URL of the read-only reporting role (sb_analytics, RLS-bound); reports fall back to DATABASE_URL without it. */
  ANALYTICS_DATABASE_URL?: string;
  /** WebSocket proxy in front of Postgres, e.g. ws://127.0.0.1:5480/v2 or wss://dbproxy.example/v2. */
  DB_WS_PROXY_URL: string;
  /**
   * Secret: base64url key (≥ 32 bytes) that signs the short-lived token the WebSocket proxy asks
   * of every connection (worker/platform/database-proxy-token.ts); the proxy's WSPROXY_TOKEN_KEY.
   */
  DB_PROXY_TOKEN_KEY: string;
  /** "password" pipelines connection start-up (needs cleartext-password auth behind TLS); else "false". */
  DB_PIPELINE_CONNECT?: string;
  /**
   * AWS region of the RDS Proxy. Set (staging, production) ⇒ RDS Proxy IAM auth: every database
   * URL's password is replaced by a 15-minute IAM auth token and start-up is pipelined. Empty in
   * local dev and tests (the role's password).
   */
  DB_IAM_AUTH_REGION?: string;
  /** Secret: access key id of the Worker's IAM user (rds-db:connect on its roles only). */
  DB_IAM_ACCESS_KEY_ID?: string;
  /** Secret: that access key's secret. */
  DB_IAM_SECRET_ACCESS_KEY?: string;
  /** "kid:base64url-secret" that signs the tenant context Postgres verifies (app_private.context_keys). */
  DB_CONTEXT_KEY: string;
  /** "kid:base64url(32 bytes)[,older…]": AES-GCM key for secrets stored to be read back. */
  DATA_ENCRYPTION_KEY: string;
  /** Session-token signing keys, "kid:base64url-secret" comma-separated; the first one signs. */
  SESSION_SIGNING_KEYS: string;
  ENVIRONMENT: string;
  /** DNS-over-HTTPS JSON endpoint for the webhook SSRF check (default Cloudflare's). */
  DOH_URL?: string;
  /** SES v2 API base URL (https://email.<region>.amazonaws.com; a local sink in dev and tests). */
  SES_ENDPOINT: string;
  SES_REGION: string;
  SES_ACCESS_KEY_ID: string;
  /** Secret: SigV4 signing key for SES. */
  SES_SECRET_ACCESS_KEY: string;
  /**
   * Secret: the payment provider's webhook signing secret(s), comma-separated during a rotation
   * (docs/billing.md, "Provider webhook"). Unset: every provider event is refused (401).
   */
  PAYMENT_WEBHOOK_SECRET?: string;
  /** Sender of notification email, e.g. "SecureBase <notifications@securebase.io>". */
  EMAIL_FROM: string;
  /** Public base URL of this API, for links in email (invoice HTML). */
  PUBLIC_API_URL: string;
  /**
   * Origin of the portal that calls WebAuthn (passkeys, worker/auth/passkeys.ts): the origin the
   * browser signs and, its hostname, the RP ID. Empty: PUBLIC_API_URL.
   */
  PORTAL_URL: string;
  /** The seller on invoices (worker/invoices/seller.ts; development placeholders when empty): legal name. */
  SELLER_LEGAL_NAME?: string;
  /** The seller's postal address, lines separated by newlines (or " | "). */
  SELLER_ADDRESS?: string;
  /** The seller's tax id as printed, e.g. "EIN 12-3456789". */
  SELLER_TAX_ID?: string;
  /** How to pay (bank / remittance details), lines separated by newlines (or " | "). */
  SELLER_PAYMENT_INSTRUCTIONS?: string;
  AUTH_CACHE: KVNamespace;
  EVENTS: Queue<QueueMessage>;
  RATE_LIMITER: DurableObjectNamespace<RateLimiter>;
  /** Requests and 5xx per minute for the error-rate alert (worker/platform/request-counter.ts). */
  REQUEST_COUNTER: DurableObjectNamespace<RequestCounter>;
  /** Operations webhook for alerts (docs/operations.md, "Alerts"); unset: email and in-app only. */
  OPS_WEBHOOK_URL?: string;
  /** Its Standard Webhooks signing secret (`whsec_…`). */
  OPS_WEBHOOK_SECRET?: string;
  /** Customer records outside Postgres, one bucket per data jurisdiction (worker/platform/records-store.ts). */
  RECORDS_US: R2Bucket;
  RECORDS_EU: R2Bucket;
  RECORDS_FEDRAMP: R2Bucket;
  /** Days a closed customer's rows are kept before the daily job deletes them (default 30; docs/exports-closure.md). */
  CLOSURE_GRACE_DAYS?: string;
  /** Days audit events stay in Postgres before the daily job archives them to R2 (default 90). */
  AUDIT_HOT_DAYS?: string;
  /**
   * What suspends a customer's API access for non-payment (docs/billing.md, "Suspension"): "none"
   * (default) or "past_due" (30 days past due: 402 but for settling). Anything else fails the dunning job.
   */
  DUNNING_SUSPEND_AT?: string;
  /** Static assets (public/): Swagger UI for /docs. */
  ASSETS: Fetcher;
}
