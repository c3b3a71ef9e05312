// A TCP link with distance, for the latency model (dev/bench/latency.ts, BENCHMARKS.md "Fast from
// everywhere"): listens on loopback and forwards to a target, delaying every chunk by `oneWayMs`
// in each direction, in order. A new connection also pays `handshakeRoundTrips` × 2 × oneWayMs
// before its first byte reaches the target: the TCP handshake (1) and TLS 1.3 (1) that a real
// long-distance connection pays and loopback does not. Works for any protocol over TCP: HTTP/1.1
// keep-alive (user → Worker) and the WebSocket upgrade + Postgres flights (Worker → database).
import { connect, createServer, type Server, type Socket } from "node:net";
import type { AddressInfo } from "node:net";

export interface DelayLink {
  port: number;
  /** Changes the one-way delay of chunks sent from now on (and of new connections' handshakes). */
  setOneWay: (ms: number) => void;
  /** Connections accepted so far: a keep-alive client reuses one. */
  connections: () => number;
  close: () => Promise<void>;
}

export async function startDelayLink(options: {
  target: { host: string; port: number };
  oneWayMs: number;
  /** Round trips a new connection pays before its first byte (TCP = 1, TCP + TLS 1.3 = 2). */
  handshakeRoundTrips?: number;
}): Promise<DelayLink> {
  const sockets = new Set<Socket>();
  let accepted = 0;
  let oneWayMs = options.oneWayMs;
  const delayed = (from: Socket, to: Socket, firstExtraMs: number) => {
    // One timer per chunk, each due at least as late as the previous one: order is kept.
    let lastDue = 0;
    let extra = firstExtraMs;
    from.on("data", (chunk) => {
      const due = Math.max(performance.now() + oneWayMs + extra, lastDue);
      extra = 0;
      lastDue = due;
      const wait = due - performance.now();
      if (wait <= 0) to.write(chunk);
      else setTimeout(() => to.destroyed || to.write(chunk), wait);
    });
    from.on("end", () => setTimeout(() => to.end(), Math.max(0, lastDue - performance.now())));
  };
  const server: Server = createServer((client) => {
    accepted += 1;
    const upstream = connect(options.target.port, options.target.host);
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.setNoDelay(true);
      socket.on("error", () => {
        client.destroy();
        upstream.destroy();
      });
      socket.on("close", () => sockets.delete(socket));
    }
    delayed(client, upstream, (options.handshakeRoundTrips ?? 0) * 2 * oneWayMs);
    delayed(upstream, client, 0);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    port: (server.address() as AddressInfo).port,
    setOneWay: (ms: number) => {
      oneWayMs = ms;
    },
    connections: () => accepted,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
