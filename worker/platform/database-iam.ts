// RDS Proxy IAM authentication: the Worker logs in with a short-lived IAM auth token instead of
// the role's password.
//
// Why: RDS Proxy offers password clients only SCRAM-SHA-256 (or MD5), and the driver must wait
// for each SASL step, so a connection costs three more round trips before the first query. With
// IAM auth the proxy asks for a cleartext password (the token), which the driver sends in the
// same flight as the start-up message (neonConfig.pipelineConnect = "password"). Sending it in
// clear is acceptable because it is not a password: it is a SigV4 signature valid for 15
// minutes, for one user on one proxy, and it travels inside TLS (wss to the ws-proxy, TLS from
// the ws-proxy to the RDS Proxy, which requires it).
//
// The token is a SigV4 presigned (query-signed) GET of
// https://<proxy-host>:<port>/?Action=connect&DBUser=<user>, service rds-db, without the
// scheme. aws4fetch signs it; nothing here implements SigV4.
import { AwsV4Signer } from "aws4fetch";
import type { Env } from "../env.ts";

export interface IamAuthConfig {
  region: string;
  accessKeyId: string;
  secretAccessKey: string;
}

export interface DatabaseLogin {
  host: string;
  port: number;
  user: string;
}

/** How long AWS accepts a token (X-Amz-Expires; 900 s is the maximum for rds-db). */
export const TOKEN_LIFETIME_SECONDS = 900;
/** A cached token is replaced after this long, leaving 5 minutes of validity for slow starts. */
export const TOKEN_RENEW_AFTER_MS = 10 * 60 * 1000;

type IamEnv = Pick<Env, "DB_IAM_AUTH_REGION" | "DB_IAM_ACCESS_KEY_ID" | "DB_IAM_SECRET_ACCESS_KEY">;

/** IAM auth is on when DB_IAM_AUTH_REGION is set; then both key secrets must be too. */
export function iamAuthConfig(env: IamEnv): IamAuthConfig | undefined {
  const region = env.DB_IAM_AUTH_REGION?.trim();
  if (!region) return undefined;
  const accessKeyId = env.DB_IAM_ACCESS_KEY_ID?.trim();
  const secretAccessKey = env.DB_IAM_SECRET_ACCESS_KEY?.trim();
  if (!accessKeyId || !secretAccessKey) {
    throw new Error("DB_IAM_AUTH_REGION is set but DB_IAM_ACCESS_KEY_ID or DB_IAM_SECRET_ACCESS_KEY is missing");
  }
  return { region, accessKeyId, secretAccessKey };
}

/** AWS's datetime format for SigV4: 20261123T165300Z. */
function amzDate(at: Date): string {
  return at.toISOString().replace(/[:-]|\.\d{3}/g, "");
}

/** A fresh RDS IAM auth token for `login`, signed at `at`. */
export async function rdsAuthToken(
  login: DatabaseLogin,
  config: IamAuthConfig,
  at: Date = new Date(),
): Promise<string> {
  const url = new URL(`https://${login.host}:${login.port}/`);
  url.searchParams.set("Action", "connect");
  url.searchParams.set("DBUser", login.user);
  url.searchParams.set("X-Amz-Expires", String(TOKEN_LIFETIME_SECONDS));
  const signer = new AwsV4Signer({
    method: "GET",
    url: url.toString(),
    accessKeyId: config.accessKeyId,
    secretAccessKey: config.secretAccessKey,
    service: "rds-db",
    region: config.region,
    signQuery: true,
    datetime: amzDate(at),
  });
  const signed = await signer.sign();
  return signed.url.toString().slice("https://".length);
}

// Per isolate: one token per (key, region, host, port, user). The cache holds the token itself,
// not the pending signature: a Worker must not leave one request awaiting a promise another
// request settles, so two requests that both find no token each sign one (a few HMACs).
const tokens = new Map<string, { token: string; mintedAt: number }>();

/** The token for `login`, reused for TOKEN_RENEW_AFTER_MS after it was minted. */
export async function cachedRdsAuthToken(
  login: DatabaseLogin,
  config: IamAuthConfig,
  now: number = Date.now(),
): Promise<string> {
  const key = [config.accessKeyId, config.region, login.host, login.port, login.user].join("|");
  const cached = tokens.get(key);
  const age = cached ? now - cached.mintedAt : -1;
  if (cached && age >= 0 && age < TOKEN_RENEW_AFTER_MS) return cached.token;
  const token = await rdsAuthToken(login, config, new Date(now));
  tokens.set(key, { token, mintedAt: now });
  return token;
}

/**
 * `url` with its password replaced by an IAM auth token for its user, host and port (5432 when
 * the URL has none). Whatever password the URL carried is never sent.
 */
export async function withIamToken(url: string, config: IamAuthConfig, now: number = Date.now()): Promise<string> {
  const parsed = new URL(url);
  const user = decodeURIComponent(parsed.username);
  if (!user || !parsed.hostname) throw new Error("a database URL for IAM auth needs a user and a host");
  const token = await cachedRdsAuthToken(
    { host: parsed.hostname, port: Number(parsed.port || 5432), user },
    config,
    now,
  );
  // Percent-encode all of it: the driver URL-decodes the password, and the token holds '%'.
  parsed.password = encodeURIComponent(token);
  return parsed.toString();
}
