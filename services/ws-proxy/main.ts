// Entry point of the deployed WebSocket proxy (Docker image, ECS Fargate behind an ALB; see
// terraform/modules/ws-proxy). Configuration comes from the environment:
//   PORT                  listen port (8443)
//   WSPROXY_ALLOW         comma-separated host:port targets, e.g. the RDS Proxy endpoint:5432
//   WSPROXY_UPSTREAM_TLS  "verify-full" (default) or "disable" (local experiments only)
//   WSPROXY_CA_FILE       extra PEM CAs the upstream certificate may chain to, added to Node's
//                         public roots: RDS Proxy presents an ACM certificate (Amazon Root CA,
//                         a public root); Aurora itself one from the RDS CA bundle
//   WSPROXY_TLS_DIR       directory with cert.pem and key.pem to serve HTTPS/WSS; unset: plain HTTP
//   WSPROXY_TOKEN_KEY     base64url HMAC key (≥ 32 bytes) the Worker signs client tokens with
//                         (its DB_PROXY_TOKEN_KEY); required: there is no unauthenticated mode
//   WSPROXY_MAX_PER_SOURCE     concurrent connections per source address (200)
//   WSPROXY_MAX_CONNECTIONS    concurrent connections in total (2000)
//   WSPROXY_TRUST_FORWARDED_FOR  "true" (default): the source is the last X-Forwarded-For entry,
//                         which the ALB appends — the task only accepts traffic from the ALB
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { rootCertificates } from "node:tls";
import { DEFAULT_MAX_CONNECTIONS, DEFAULT_MAX_PER_SOURCE, proxyTokenKey } from "./admission.ts";
import { startWsProxy, type UpstreamTls } from "./proxy.ts";

function positiveInteger(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const text = env[name]?.trim();
  if (!text) return fallback;
  if (!/^[1-9]\d{0,6}$/.test(text)) throw new Error(`${name} must be a positive integer`);
  return Number(text);
}

export function configFromEnv(env: NodeJS.ProcessEnv) {
  const allow = (env.WSPROXY_ALLOW ?? "")
    .split(",")
    .map((target) => target.trim())
    .filter(Boolean);
  if (allow.length === 0 || allow.some((target) => !/^[A-Za-z0-9.-]+:\d{1,5}$/.test(target))) {
    throw new Error(
      "WSPROXY_ALLOW must list host:port targets, e.g. my-proxy.proxy-abc.us-east-1.rds.amazonaws.com:5432",
    );
  }
  const mode = env.WSPROXY_UPSTREAM_TLS ?? "verify-full";
  if (mode !== "verify-full" && mode !== "disable")
    throw new Error("WSPROXY_UPSTREAM_TLS must be verify-full or disable");
  // A `ca` option replaces Node's roots, so the extra bundle is appended to them, not used alone.
  const upstreamTls: UpstreamTls =
    mode === "disable"
      ? { mode }
      : {
          mode,
          ca: env.WSPROXY_CA_FILE
            ? [...rootCertificates, readFileSync(env.WSPROXY_CA_FILE, "utf8")].join("\n")
            : undefined,
        };
  const serverTls = env.WSPROXY_TLS_DIR
    ? {
        cert: readFileSync(join(env.WSPROXY_TLS_DIR, "cert.pem"), "utf8"),
        key: readFileSync(join(env.WSPROXY_TLS_DIR, "key.pem"), "utf8"),
      }
    : undefined;
  if (!env.WSPROXY_TOKEN_KEY) throw new Error("WSPROXY_TOKEN_KEY is required (the Worker's DB_PROXY_TOKEN_KEY)");
  const tokenKey = proxyTokenKey(env.WSPROXY_TOKEN_KEY);
  const trust = env.WSPROXY_TRUST_FORWARDED_FOR ?? "true";
  if (trust !== "true" && trust !== "false") throw new Error("WSPROXY_TRUST_FORWARDED_FOR must be true or false");
  const limits = {
    maxPerSource: positiveInteger(env, "WSPROXY_MAX_PER_SOURCE", DEFAULT_MAX_PER_SOURCE),
    maxTotal: positiveInteger(env, "WSPROXY_MAX_CONNECTIONS", DEFAULT_MAX_CONNECTIONS),
    trustForwardedFor: trust === "true",
  };
  return { allow, port: Number(env.PORT ?? 8443), host: "0.0.0.0", upstreamTls, serverTls, tokenKey, limits };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const config = configFromEnv(process.env);
  const proxy = await startWsProxy(config);
  console.log(
    JSON.stringify({
      message: "ws-proxy listening",
      port: proxy.port,
      tls: Boolean(config.serverTls),
      upstream_tls: config.upstreamTls.mode,
      allow: config.allow,
      limits: config.limits,
    }),
  );
  const stop = () => void proxy.close().then(() => process.exit(0));
  process.on("SIGTERM", stop);
  process.on("SIGINT", stop);
}
