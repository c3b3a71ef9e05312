// The WebSocket -> TCP proxy the neon serverless driver needs to reach a plain Postgres
// (Neon's wsproxy protocol: ws://host:port/v2?address=pghost:pgport, binary frames both ways).
// No maintained npm package does this with ws 8, so it is written here; it is small on purpose.
//
// - Only allowlisted targets: it is never an open relay.
// - Counts Postgres round trips per connection: a round trip is a client->server flight that the
//   server answered (pipelined client writes before the answer count once). Cheap: two flags.
// - Latency injection: each forwarded chunk waits `latencyMs` one way, in order, so a
//   benchmark on loopback can show what round trips cost at a real edge->database RTT.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { connect } from "node:net";
import type { AddressInfo } from "node:net";
import { createRequire } from "node:module";
import type * as WsTypes from "ws";

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

export interface WsProxy {
  port: number;
  url: string;
  stats: () => ProxyStats;
  /** Changes the injected one-way latency for messages forwarded from now on. */
  setLatency: (ms: number) => void;
  close: () => Promise<void>;
}

export async function startWsProxy(options: {
  allow: string[];
  port?: number;
  host?: string;
  latencyMs?: number;
}): Promise<WsProxy> {
  const allow = new Set(options.allow);
  let latencyMs = Math.max(0, options.latencyMs ?? 0);
  const totals = { connections: 0, open: 0, peakOpen: 0, roundTrips: 0, refused: 0 };
  const recent: ProxyStats["recent"] = [];
  const byUser: ProxyStats["byUser"] = {};
  const later = (fn: () => void) => (latencyMs > 0 ? setTimeout(fn, latencyMs) : fn());

  const stats = (): ProxyStats => ({ ...totals, byUser: structuredClone(byUser), recent: [...recent] });
  const http: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    if (req.method === "GET" && req.url === "/stats") {
      res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(stats()));
      return;
    }
    res.writeHead(404).end();
  });
  const wss = new WebSocketServer({ noServer: true, perMessageDeflate: false });

  http.on("upgrade", (req, socket, head) => {
    const url = new URL(req.url ?? "/", "http://proxy");
    const address = url.searchParams.get("address") ?? "";
    if (url.pathname !== "/v2" || !allow.has(address)) {
      totals.refused += 1;
      socket.end("HTTP/1.1 403 Forbidden\r\nConnection: close\r\n\r\n");
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      const separator = address.lastIndexOf(":");
      const tcp = connect({ host: address.slice(0, separator), port: Number(address.slice(separator + 1)) });
      tcp.setNoDelay(true);
      const conn = { id: ++totals.connections, roundTrips: 0, bytesIn: 0, bytesOut: 0 };
      let awaitingAnswer = false;
      let user: { connections: number; roundTrips: number } | undefined;
      totals.open += 1;
      totals.peakOpen = Math.max(totals.peakOpen, totals.open);

      ws.on("message", (data: Buffer) => {
        if (!user) {
          const name = startupUser(data) ?? "unknown";
          user = byUser[name] ??= { connections: 0, roundTrips: 0 };
          user.connections += 1;
        }
        conn.bytesIn += data.length;
        if (!awaitingAnswer) awaitingAnswer = true;
        later(() => tcp.write(data));
      });
      tcp.on("data", (data: Buffer) => {
        conn.bytesOut += data.length;
        if (awaitingAnswer) {
          awaitingAnswer = false;
          conn.roundTrips += 1;
          totals.roundTrips += 1;
          if (user) user.roundTrips += 1;
        }
        later(() => ws.readyState === ws.OPEN && ws.send(data));
      });
      let closed = false;
      const finish = () => {
        if (closed) return;
        closed = true;
        totals.open -= 1;
        recent.push(conn);
        if (recent.length > 200) recent.shift();
        tcp.destroy();
        ws.close();
      };
      ws.on("close", finish);
      ws.on("error", finish);
      tcp.on("close", finish);
      tcp.on("error", finish);
    });
  });

  await new Promise<void>((resolve) => http.listen(options.port ?? 0, options.host ?? "127.0.0.1", resolve));
  const port = (http.address() as AddressInfo).port;
  return {
    port,
    url: `ws://127.0.0.1:${port}/v2`,
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

/** The user named in a Postgres StartupMessage (protocol 3.0) at the start of `data`. */
function startupUser(data: Buffer): string | undefined {
  if (data.length < 8 || data.readInt32BE(4) !== 196608) return undefined;
  const fields = data.subarray(8, Math.min(data.length, data.readInt32BE(0))).toString("utf8").split("\0");
  const at = fields.indexOf("user");
  return at >= 0 ? fields[at + 1] : undefined;
}
