// The WebSocket -> TCP proxy the neon serverless driver needs to reach a plain Postgres
// (Neon's wsproxy protocol: ws://host:port/v2?address=pghost:pgport, binary frames both ways).
// No maintained npm package does this with ws 8, so it is written here; it is small on purpose.
// The same code runs locally (dev/local-stack.ts: `npm run dev`, the tests, the bench) and deployed
// (services/ws-proxy/main.ts in the Docker image, on ECS behind an ALB: terraform/modules/ws-proxy).
//
// - Only allowlisted targets: it is never an open relay.
// - Only clients with a token signed by the shared key, for that target (admission.ts); every
//   refusal gets the one answer an unknown path gets, so a probe cannot tell the proxy is there.
// - Concurrent connections capped per source address and in total (admission.ts).
// - Upstream TLS (deployed): the Worker's driver sends a plain StartupMessage (its TLS is the
//   wss:// WebSocket), so the proxy itself asks the target for TLS (Postgres SSLRequest) and
//   verifies its certificate before forwarding a byte; RDS Proxy requires TLS.
// - Served over HTTPS when given a certificate (ALB -> task traffic stays encrypted).
// - Counts Postgres round trips per connection: a round trip is a client->server flight that the
//   server answered (pipelined client writes before the answer count once). Cheap: two flags.
// - Latency injection: each forwarded chunk waits `latencyMs` one way, in order, so a
//   benchmark on loopback can show what round trips cost at a real edge->database RTT.
// - With stats exposed (tests, bench; never deployed), a client may name itself in the path,
//   /v2/<tag>, and GET /stats/<tag> gives the same counters for that tag alone: test files that
//   run at the same time each read their own round trips (test/helpers/database.ts).
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { createServer as createHttpsServer } from "node:https";
import { connect, type Socket } from "node:net";
import type { AddressInfo } from "node:net";
import { connect as connectTls, type TLSSocket } from "node:tls";
import { createRequire } from "node:module";
import type * as WsTypes from "ws";
import {
  ConnectionCounter,
  type ConnectionLimits,
  DEFAULT_MAX_CONNECTIONS,
  DEFAULT_MAX_PER_SOURCE,
  tokenAdmits,
} from "./admission.ts";

// Vite (vitest's globalSetup) resolves a plain `import "ws"` to its browser stub; require it.
const { WebSocketServer } = createRequire(import.meta.url)("ws") as typeof WsTypes;

export interface ProxyStats {
  /** Totals per Postgres user (read from each connection's startup message). */
  byUser: Record<string, { connections: number; roundTrips: number }>;
  connections: number;
  open: number;
  /** Most connections open at once since the proxy started. */
  peakOpen: number;
  roundTrips: number;
  refused: number;
  /** Most recent closed connections, newest last (bounded). */
  recent: { id: number; roundTrips: number; bytesIn: number; bytesOut: number }[];
}

/** The counters of the connections made through /v2/<tag>. */
export type TagStats = Omit<ProxyStats, "refused" | "recent">;

export interface WsProxy {
  port: number;
  url: string;
  stats: () => ProxyStats;
  /** Changes the injected one-way latency for messages forwarded from now on. */
  setLatency: (ms: number) => void;
  close: () => Promise<void>;
}

/** How the proxy talks to its Postgres target: plain TCP (local), or TLS after an SSLRequest. */
export type UpstreamTls =
  | { mode: "disable" }
  /** TLS, certificate verified against `ca` (PEM; default: Node's public roots) and the target's host name. */
  | { mode: "verify-full"; ca?: string };

export interface WsProxyOptions {
  /** Allowed `host:port` targets. */
  allow: string[];
  /** The HMAC key client tokens are signed with (admission.ts, proxyTokenKey). */
  tokenKey: Uint8Array;
  /** Concurrent connection limits (defaults: 200 per source, 2000 in total, socket address). */
  limits?: Partial<ConnectionLimits>;
  port?: number;
  host?: string;
  latencyMs?: number;
  upstreamTls?: UpstreamTls;
  /** Serve HTTPS/WSS with this certificate instead of plain HTTP/WS. */
  serverTls?: { cert: string; key: string };
  /** Expose GET /stats (counters for tests and benchmarks; off in deployments). */
  exposeStats?: boolean;
}

export async function startWsProxy(options: WsProxyOptions): Promise<WsProxy> {
  const allow = new Set(options.allow);
  let latencyMs = Math.max(0, options.latencyMs ?? 0);
  const totals = { connections: 0, open: 0, peakOpen: 0, roundTrips: 0, refused: 0 };
  const recent: ProxyStats["recent"] = [];
  const byUser: ProxyStats["byUser"] = {};
  const byTag = new Map<string, TagStats>();
  const later = (fn: () => void) => (latencyMs > 0 ? setTimeout(fn, latencyMs) : fn());

  const stats = (): ProxyStats => ({ ...totals, byUser: structuredClone(byUser), recent: [...recent] });
  const upstreamTls = options.upstreamTls ?? { mode: "disable" };
  const counter = new ConnectionCounter({
    maxPerSource: options.limits?.maxPerSource ?? DEFAULT_MAX_PER_SOURCE,
    maxTotal: options.limits?.maxTotal ?? DEFAULT_MAX_CONNECTIONS,
    trustForwardedFor: options.limits?.trustForwardedFor ?? false,
  });
  const serve = (req: IncomingMessage, res: ServerResponse) => {
    if (req.method === "GET" && req.url === "/healthz") {
      // The load balancer's health check: the process accepts connections. Postgres reachability
      // is not part of it, so a database outage does not drain every proxy task at once.
      res.writeHead(200, { "content-type": "text/plain" }).end("ok");
      return;
    }
    if (options.exposeStats && req.method === "GET" && req.url === "/stats") {
      res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(stats()));
      return;
    }
    const tagged = options.exposeStats && req.method === "GET" ? TAG_STATS_PATH.exec(req.url ?? "") : null;
    if (tagged) {
      const tag = byTag.get(tagged[1]!) ?? newTagStats();
      res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(tag));
      return;
    }
    res.writeHead(404, { "content-length": "0" }).end();
  };
  const http: Server = options.serverTls ? createHttpsServer(options.serverTls, serve) : createServer(serve);
  const wss = new WebSocketServer({ noServer: true, perMessageDeflate: false });

  http.on("upgrade", async (req, socket, head) => {
    // Node hands an upgrade's socket over without its error listener; a client resetting it while
    // the token is checked must not crash the process. ws adds its own once it takes the socket.
    const dropOnError = () => socket.destroy();
    socket.on("error", dropOnError);
    const url = new URL(req.url ?? "/", "http://proxy");
    const address = url.searchParams.get("address") ?? "";
    const tagName = options.exposeStats ? TAG_PATH.exec(url.pathname)?.[1] : undefined;
    // The token is checked first, whatever the path, so every refusal takes the same course.
    const admitted = await tokenAdmits(url.searchParams.get("token") ?? "", options.tokenKey, address);
    if (!admitted || (url.pathname !== "/v2" && !tagName) || !allow.has(address)) {
      totals.refused += 1;
      socket.end(NOT_FOUND);
      return;
    }
    const source = counter.source(req);
    if (socket.destroyed) return;
    if (!counter.acquire(source)) {
      totals.refused += 1;
      socket.end(BUSY);
      return;
    }
    // Without verifyClient, ws completes an upgrade synchronously or refuses it without calling
    // back (a malformed handshake): then the slot is given back here.
    let upgraded = false;
    socket.off("error", dropOnError);
    wss.handleUpgrade(req, socket, head, (ws) => {
      upgraded = true;
      const separator = address.lastIndexOf(":");
      const host = address.slice(0, separator);
      const tcp = connect({ host, port: Number(address.slice(separator + 1)) });
      tcp.setNoDelay(true);
      // Until the upstream is ready (TLS negotiated), client messages wait here in order.
      let upstream: Socket | TLSSocket | undefined = upstreamTls.mode === "disable" ? tcp : undefined;
      const pending: Buffer[] = [];
      const toUpstream = (data: Buffer) => (upstream ? upstream.write(data) : pending.push(data));
      const conn = { id: ++totals.connections, roundTrips: 0, bytesIn: 0, bytesOut: 0 };
      let awaitingAnswer = false;
      let user: { connections: number; roundTrips: number } | undefined;
      let tagUser: { connections: number; roundTrips: number } | undefined;
      let tag = tagName === undefined ? undefined : byTag.get(tagName);
      if (tagName !== undefined && !tag) byTag.set(tagName, (tag = newTagStats()));
      if (tag) tag.connections += 1; // totals.connections is counted in conn.id above
      for (const counters of tag ? [totals, tag] : [totals]) {
        counters.open += 1;
        counters.peakOpen = Math.max(counters.peakOpen, counters.open);
      }

      ws.on("message", (data: Buffer) => {
        if (!user) {
          const name = startupUser(data) ?? "unknown";
          user = byUser[name] ??= { connections: 0, roundTrips: 0 };
          user.connections += 1;
          if (tag) {
            tagUser = tag.byUser[name] ??= { connections: 0, roundTrips: 0 };
            tagUser.connections += 1;
          }
        }
        conn.bytesIn += data.length;
        if (!awaitingAnswer) awaitingAnswer = true;
        later(() => toUpstream(data));
      });
      const fromUpstream = (data: Buffer) => {
        conn.bytesOut += data.length;
        if (awaitingAnswer) {
          awaitingAnswer = false;
          conn.roundTrips += 1;
          totals.roundTrips += 1;
          if (user) user.roundTrips += 1;
          if (tag) tag.roundTrips += 1;
          if (tagUser) tagUser.roundTrips += 1;
        }
        later(() => ws.readyState === ws.OPEN && ws.send(data));
      };
      if (upstream) {
        tcp.on("data", fromUpstream);
      } else if (upstreamTls.mode === "verify-full") {
        negotiateTls(tcp, host, upstreamTls.ca).then(
          (secure) => {
            upstream = secure;
            secure.on("data", fromUpstream);
            secure.on("close", finish);
            secure.on("error", finish);
            for (const data of pending.splice(0)) secure.write(data);
          },
          (error: Error) => {
            console.error(`ws-proxy: TLS to ${address} failed: ${error.message}`);
            finish();
          },
        );
      }
      let closed = false;
      const finish = () => {
        if (closed) return;
        closed = true;
        counter.release(source);
        totals.open -= 1;
        if (tag) tag.open -= 1;
        recent.push(conn);
        if (recent.length > 200) recent.shift();
        upstream?.destroy();
        tcp.destroy();
        ws.close();
      };
      ws.on("close", finish);
      ws.on("error", finish);
      tcp.on("close", finish);
      tcp.on("error", finish);
    });
    if (!upgraded) counter.release(source);
  });

  await new Promise<void>((resolve) => http.listen(options.port ?? 0, options.host ?? "127.0.0.1", resolve));
  const port = (http.address() as AddressInfo).port;
  return {
    port,
    url: `${options.serverTls ? "wss" : "ws"}://127.0.0.1:${port}/v2`,
    stats,
    setLatency: (ms: number) => {
      latencyMs = Math.max(0, ms);
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const client of wss.clients) client.terminate();
        wss.close();
        http.close(() => resolve());
        http.closeAllConnections();
      }),
  };
}

/** /v2/<tag>: a client's name for itself, for per-client stats (letters, digits, - and _). */
const TAG_PATH = /^\/v2\/([A-Za-z0-9_-]{1,64})$/;
const TAG_STATS_PATH = /^\/stats\/([A-Za-z0-9_-]{1,64})$/;
const newTagStats = (): TagStats => ({ byUser: {}, connections: 0, open: 0, peakOpen: 0, roundTrips: 0 });

/** The answer to an unknown path, a missing or bad token, a target not allowed. */
const NOT_FOUND = "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
/** Over a connection limit (only an admitted client learns it). */
const BUSY = "HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";

const SSL_REQUEST = Buffer.from([0, 0, 0, 8, 0x04, 0xd2, 0x16, 0x2f]); // length 8, code 80877103

/** Asks the Postgres server for TLS (SSLRequest) and completes a verified handshake over `tcp`. */
function negotiateTls(tcp: Socket, host: string, ca: string | undefined): Promise<TLSSocket> {
  return new Promise((resolve, reject) => {
    const fail = (error: Error) => reject(error);
    tcp.once("error", fail);
    tcp.once("close", () => reject(new Error("connection closed before TLS")));
    tcp.once("connect", () => tcp.write(SSL_REQUEST));
    tcp.once("data", (answer: Buffer) => {
      if (answer.length !== 1 || answer[0] !== 0x53 /* 'S' */) {
        reject(new Error("the server does not accept TLS"));
        return;
      }
      const secure = connectTls({ socket: tcp, servername: host, ca, rejectUnauthorized: true });
      secure.once("secureConnect", () => {
        tcp.off("error", fail);
        secure.setNoDelay(true);
        resolve(secure);
      });
      secure.once("error", fail);
    });
  });
}

/** The user named in a Postgres StartupMessage (protocol 3.0) at the start of `data`. */
function startupUser(data: Buffer): string | undefined {
  if (data.length < 8 || data.readInt32BE(4) !== 196608) return undefined;
  const fields = data
    .subarray(8, Math.min(data.length, data.readInt32BE(0)))
    .toString("utf8")
    .split("\0");
  const at = fields.indexOf("user");
  return at >= 0 ? fields[at + 1] : undefined;
}
