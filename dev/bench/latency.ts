// The latency model of a far user, measured by simulation on one machine (`npm run bench -- latency`;
// BENCHMARKS.md, "Fast from everywhere"). Distances, as round-trip times:
//   user ↔ nearest Cloudflare location  U (default 20 ms)
//   that location ↔ the database region L (default 200 ms)
//   inside the region                   R (default 1 ms)
// Every hop is a delay link (dev/bench/delay-link.ts: half the RTT each way, TCP + TLS handshakes
// on each new connection) or, for Worker → Worker, the in-process delay of worker/edge/local.ts.
//   before: user -U-> Worker (runs near the user) -L-> WebSocket proxy -> Postgres
//   after:  user -U-> edge front -L-> data Worker (placed in the region) -R-> WebSocket proxy -> Postgres
// Each request kind is timed SAMPLES times in sequence over one keep-alive user connection, each
// far request followed by the same request with every distance 0; p50 of each.
import { generateApiKey } from "../../worker/auth/api-key.ts";
import { createApiKey } from "../fixtures.ts";
import { startLocalWorker, type LocalWorker } from "../local-worker.ts";
import { startDelayLink, type DelayLink } from "./delay-link.ts";
import pg from "pg";
import { SIMULATED_HOP_HEADER } from "../../worker/edge/simulated-hop.ts";

const U = Number(process.env.LATENCY_USER_RTT_MS ?? 20);
const L = Number(process.env.LATENCY_LONG_RTT_MS ?? 200);
const R = Number(process.env.LATENCY_REGION_RTT_MS ?? 1);
const SAMPLES = Number(process.env.BENCH_SAMPLES ?? 15);

type Topology = "before" | "after";
interface Kind {
  label: string;
  /** The goal as a limit in ms, and how it is stated. */
  goal: { ms: number; text: string };
  /** Modelled round trips: [long hops, in-region hops] after the user's own round trip. */
  model: Record<Topology, [number, number]>;
  run: () => Promise<Response>;
  /** Runs right before the kind is timed. */
  prepare?: () => Promise<void>;
}
export interface KindResult {
  label: string;
  statuses: string;
  /** p50 with the distances on. */
  far: number;
  /** p50 with every distance 0, interleaved with the far requests: what this machine adds. */
  near: number;
  /** Per far request, counted: Worker → Worker hops crossed, database connections opened. */
  hops: number;
  connections: number;
}

function p50(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

/**
 * One topology on one stack. Each sample is a far request then the same request with every
 * distance set to 0: on a shared machine the load changes by the minute, so far − near, measured
 * side by side, is the part the distances add.
 */
async function measure(topology: Topology): Promise<{ kinds: Kind[]; results: KindResult[] }> {
  const links: DelayLink[] = [];
  let databaseLink: DelayLink | undefined;
  const local: LocalWorker = await startLocalWorker({
    ...(topology === "after" ? { script: "worker/edge/local.ts" } : {}),
    // The database connection: TCP + TLS 1.3 + the WebSocket upgrade, then the Postgres flights.
    databaseUrlVia: async (proxyUrl) => {
      const url = new URL(proxyUrl);
      databaseLink = await startDelayLink({
        target: { host: url.hostname, port: Number(url.port) },
        oneWayMs: 0,
        handshakeRoundTrips: 2,
      });
      links.push(databaseLink);
      url.port = String(databaseLink.port);
      return url.toString();
    },
  });
  try {
    // The user keeps one warm HTTPS connection to the nearest location: U per request.
    const userLink = await startDelayLink({
      target: { host: local.worker.address, port: local.worker.port },
      oneWayMs: 0,
    });
    links.push(userLink);
    let hopMs = 0;
    const distances = (far: boolean) => {
      userLink.setOneWay(far ? U / 2 : 0);
      databaseLink!.setOneWay(far ? (topology === "before" ? L : R) / 2 : 0);
      hopMs = far && topology === "after" ? L / 2 : 0;
    };
    const base = `http://127.0.0.1:${userLink.port}`;
    const call = (path: string, init: RequestInit = {}) =>
      fetch(`${base}${path}`, {
        ...init,
        headers: { ...(init.headers as Record<string, string>), [SIMULATED_HOP_HEADER]: String(hopMs) },
      });
    const bearer = (key: string, init: RequestInit = {}) => ({
      ...init,
      headers: { ...(init.headers as Record<string, string>), authorization: `Bearer ${key}` },
    });
    const acme = local.keys[0]!;
    const globex = local.keys[1]!;
    const writer = await local.asOwner((client) =>
      createApiKey(client, acme.customerId, { scopes: ["api_keys:write", "invoices:read"] }),
    );
    const doomed = await local.asOwner((client) => createApiKey(client, acme.customerId));
    // A tier with a quota of 2 requests a minute, for the 429 (a throwaway database).
    const admin = new pg.Client({ connectionString: local.stack.adminUrl ?? local.stack.ownerUrl });
    await admin.connect();
    await admin.query("UPDATE tier_features SET api_rate_limit_per_minute = 2 WHERE tier = 'standard'");
    await admin.end();
    // A fresh key just before its 429s are timed: its window opens then and outlasts them.
    let throttled = { key: "" };
    const unknownKey = generateApiKey("test").key;

    const kinds: Kind[] = [
      {
        label: "GET /v1/invoices, warm key",
        goal: { ms: 1.3 * (U + L), text: "≤ 1.3 × (U + L)" },
        model: { before: [5, 0], after: [1, 5] },
        run: () => call("/v1/invoices", bearer(acme.key)),
      },
      {
        label: "POST /v1/api-keys (a write), warm key",
        goal: { ms: 1.5 * (U + L), text: "≤ 1.5 × (U + L)" },
        model: { before: [6, 0], after: [1, 6] },
        run: () =>
          call(
            "/v1/api-keys",
            bearer(writer.key, {
              method: "POST",
              headers: { "content-type": "application/json" },
              body: JSON.stringify({ name: "latency bench", scopes: ["invoices:read"] }),
            }),
          ),
      },
      {
        label: "unknown API key, repeated",
        goal: { ms: 2 * U, text: "≤ 2 × U" },
        model: { before: [4, 0], after: [0, 0] },
        run: () => call("/v1/invoices", bearer(unknownKey)),
      },
      {
        label: "unknown API key, first sight (a new one each time)",
        goal: { ms: Number.NaN, text: "(no goal: what the first one costs)" },
        model: { before: [4, 0], after: [1, 4] },
        run: () => call("/v1/invoices", bearer(generateApiKey("test").key)),
      },
      {
        label: "revoked API key, repeated",
        goal: { ms: 2 * U, text: "≤ 2 × U" },
        model: { before: [4, 0], after: [0, 0] },
        run: () => call("/v1/invoices", bearer(doomed.key)),
      },
      {
        label: "429: over the per-key quota, repeated",
        goal: { ms: 2 * U, text: "≤ 2 × U" },
        model: { before: [5, 0], after: [0, 0] },
        run: () => call("/v1/invoices", bearer(throttled.key)),
        prepare: async () => {
          throttled = await local.asOwner((client) => createApiKey(client, globex.customerId));
          for (let i = 0; i < 4; i++) await (await call("/v1/invoices", bearer(throttled.key))).arrayBuffer();
        },
      },
      {
        label: "invalid input (a body that is not JSON)",
        goal: { ms: 2 * U, text: "≤ 2 × U" },
        model: { before: [0, 0], after: [0, 0] },
        run: () =>
          call(
            "/v1/api-keys",
            bearer(writer.key, { method: "POST", headers: { "content-type": "application/json" }, body: "{" }),
          ),
      },
      {
        label: "GET /health/live",
        goal: { ms: 2 * U, text: "≤ 2 × U" },
        model: { before: [0, 0], after: [0, 0] },
        run: () => call("/health/live"),
      },
      {
        label: "static asset (/docs/assets/swagger-ui.css)",
        goal: { ms: 2 * U, text: "≤ 2 × U" },
        model: { before: [0, 0], after: [0, 0] },
        run: () => call("/docs/assets/swagger-ui.css"),
      },
    ];

    // Warm-up: the isolate, each key's principal and rate-limit lease; the doomed key cached, then
    // revoked; the throttled key's quota spent; each bad credential refused once.
    for (const kind of kinds) if (!kind.prepare) await (await kind.run()).arrayBuffer();
    await (await call("/v1/invoices", bearer(doomed.key))).arrayBuffer();
    await (await call(`/v1/api-keys/${doomed.id}`, bearer(writer.key, { method: "DELETE" }))).arrayBuffer();
    for (let i = 0; i < 3; i++) {
      await (await kinds[2]!.run()).arrayBuffer();
      await (await kinds[4]!.run()).arrayBuffer();
    }

    const results: KindResult[] = [];
    for (const kind of kinds) {
      await kind.prepare?.();
      const times = { far: [] as number[], near: [] as number[] };
      const statuses = new Map<number, number>();
      let hops = 0;
      let connections = 0;
      for (let i = 0; i < SAMPLES; i++) {
        for (const far of [true, false]) {
          distances(far);
          const opened = databaseLink!.connections();
          const started = performance.now();
          const response = await kind.run();
          await response.arrayBuffer();
          times[far ? "far" : "near"].push(performance.now() - started);
          if (!far) continue;
          statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1);
          if (response.headers.has(SIMULATED_HOP_HEADER)) hops += 1;
          connections += databaseLink!.connections() - opened;
        }
      }
      results.push({
        label: kind.label,
        statuses: [...statuses].map(([status, n]) => (statuses.size > 1 ? `${status}×${n}` : String(status))).join(" "),
        far: p50(times.far),
        near: p50(times.near),
        hops: hops / SAMPLES,
        connections: connections / SAMPLES,
      });
    }
    return { kinds, results };
  } finally {
    await local.stop();
    for (const link of links) await link.close();
  }
}

const modelled = (hops: [number, number]) => U + hops[0] * L + hops[1] * R;
const hopText = (hops: [number, number]) =>
  hops[0] === 0 && hops[1] === 0 ? "U" : `U + ${hops[0]}L${hops[1] ? ` + ${hops[1]}R` : ""}`;

export async function runLatencyModel(): Promise<string> {
  const before = await measure("before");
  const after = await measure("after");
  const rows = before.kinds.map((kind, i) => {
    const b = before.results[i]!;
    const a = after.results[i]!;
    const base = kind.goal.text.includes("U + L") ? U + L : U;
    const part = (r: KindResult) => `${(r.far - r.near).toFixed(0)} ms (${((r.far - r.near) / base).toFixed(2)}×)`;
    const goal = Number.isNaN(kind.goal.ms) ? "—" : `${kind.goal.text} = ${kind.goal.ms.toFixed(0)} ms`;
    const verdict = Number.isNaN(kind.goal.ms) ? "" : a.far - a.near <= kind.goal.ms ? " ✅" : " ❌";
    const counted = (r: KindResult) => `${r.hops.toFixed(1)} / ${r.connections.toFixed(1)}`;
    return `| ${kind.label} | ${b.statuses} / ${a.statuses} | ${hopText(kind.model.before)} = ${modelled(kind.model.before)} ms | ${b.far.toFixed(0)} − ${b.near.toFixed(0)} = ${part(b)} | ${counted(b)} | ${hopText(kind.model.after)} = ${modelled(kind.model.after)} ms | ${a.far.toFixed(0)} − ${a.near.toFixed(0)} = ${part(a)} | ${counted(a)} | ${goal}${verdict} |`;
  });
  return `## Latency model of a far user (dev/bench/latency.ts)

U = ${U} ms (user ↔ nearest location), L = ${L} ms (that location ↔ the database region), R = ${R} ms
(inside the region), all round trips. ${SAMPLES} samples per kind, each a far request then the same request
with every distance 0 (interleaved, same stack); cells read "p50 far − p50 near = the distances' part
(× U + L for the GET and the write, × U for the rest)". "hops / conns": counted per far request, Worker → Worker
hops crossed and database connections opened (each costs TCP + TLS + upgrade on its link).

| request | status before / after | model before | measured before | hops / conns before | model after | measured after | hops / conns after | goal (after) |
|---|---|---|---|---|---|---|---|---|
${rows.join("\n")}
`;
}

if (import.meta.main) {
  console.log(await runLatencyModel());
  process.exit(0);
}
