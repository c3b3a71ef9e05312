// Entry point of the deployed WebSocket proxy (Docker image, ECS Fargate behind an ALB; see
// terraform/modules/ws-proxy). Configuration comes from the environment:
//   PORT                  listen port (8443)
//   WSPROXY_ALLOW         comma-separated host:port targets, e.g. the RDS Proxy endpoint:5432
//   WSPROXY_UPSTREAM_TLS  "verify-full" (default) or "disable" (local experiments only)
//   WSPROXY_CA_FILE       extra PEM CAs the upstream certificate may chain to, added to Node's
//                         public roots: RDS Proxy presents an ACM certificate (Amazon Root CA,
//                         a public root); Aurora itself one from the RDS CA bundle
//   WSPROXY_TLS_DIR       directory with cert.pem and key.pem to serve HTTPS/WSS; unset: plain HTTP
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { rootCertificates } from "node:tls";
import { startWsProxy, type UpstreamTls } from "./proxy.ts";

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
  return { allow, port: Number(env.PORT ?? 8443), host: "0.0.0.0", upstreamTls, serverTls };
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
    }),
  );
  const stop = () => void proxy.close().then(() => process.exit(0));
  process.on("SIGTERM", stop);
  process.on("SIGINT", stop);
}
