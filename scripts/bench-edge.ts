// Edge request-path costs, as counts and ratios (`npm run bench` prints this section):
// - database round trips of a warm GET, a POST that changes one resource, a session-token GET
//   (counted by the WebSocket proxy);
// - the latency slope of each under injected one-way proxy latency: ms of p50 per ms of one-way
//   latency / 2 = round trips on the critical path (whatever else the request does — KV reads,
//   Durable Object calls — adds no slope, and locally costs ~0: see the tests for their counts);
// - the middleware's CPU cost: requests/s of an authenticated warm-key route whose handler does
//   no I/O, over the same for a bare public route (autocannon, same connections).
import autocannon from "autocannon";
import { createApiKey } from "../db/fixtures.ts";
import { startLocalWorker, type LocalWorker } from "./local-worker.ts";

const SAMPLES = Number(process.env.BENCH_SAMPLES ?? 40);
const LATENCIES = (process.env.BENCH_LATENCIES_MS ?? "0,25").split(",").map(Number);
const CANNON_SECONDS = Number(process.env.BENCH_CANNON_SECONDS ?? 8);

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function benchEdge(local: LocalWorker): Promise<string> {
  const acme = local.keys[0]!;
  const writer = await local.asOwner((client) => createApiKey(client, acme.customerId, { scopes: ["api_keys:write", "invoices:read"] }));
  const { session_token } = (await (await local.worker.fetch("/v1/auth/token", { method: "POST", headers: { authorization: `Bearer ${acme.key}` } })).json()) as {
    session_token: string;
  };
  const kinds: { label: string; run: () => Promise<{ status: number; arrayBuffer(): Promise<ArrayBuffer> }> }[] = [
    { label: "GET /v1/invoices, warm key", run: () => local.worker.fetch("/v1/invoices", { headers: { authorization: `Bearer ${acme.key}` } }) },
    { label: "GET /v1/invoices, session token", run: () => local.worker.fetch("/v1/invoices", { headers: { authorization: `Bearer ${session_token}` } }) },
    {
      label: "POST /v1/api-keys (one resource + audit + outbox)",
      run: () =>
        local.worker.fetch("/v1/api-keys", {
          method: "POST",
          headers: { authorization: `Bearer ${writer.key}`, "content-type": "application/json" },
          body: JSON.stringify({ name: "bench", scopes: ["invoices:read"] }),
        }),
    },
  ];
  const settle = async () => {
    for (let i = 0; i < 200 && local.stack.proxy.stats().open > 0; i++) await sleep(10);
    await sleep(50);
  };
  const counts = () => local.stack.proxy.stats().byUser.sb_api ?? { connections: 0, roundTrips: 0 };

  const rows: string[] = [];
  for (const kind of kinds) {
    await (await kind.run()).arrayBuffer(); // warm: principal cached, rate-limit lease taken
    await settle();
    const before = counts();
    const response = await kind.run();
    await response.arrayBuffer();
    await settle();
    const after = counts();
    const p50s: number[] = [];
    for (const latency of LATENCIES) {
      local.stack.proxy.setLatency(latency);
      const times: number[] = [];
      for (let i = 0; i < SAMPLES; i++) {
        const started = performance.now();
        await (await kind.run()).arrayBuffer();
        times.push(performance.now() - started);
      }
      times.sort((a, b) => a - b);
      p50s.push(times[Math.floor(times.length / 2)]!);
    }
    local.stack.proxy.setLatency(0);
    const slope = (p50s[p50s.length - 1]! - p50s[0]!) / (LATENCIES[LATENCIES.length - 1]! - LATENCIES[0]!);
    rows.push(
      `| ${kind.label} | ${response.status} | ${after.roundTrips - before.roundTrips} | ${p50s.map((p) => p.toFixed(1)).join(" → ")} ms | ${(slope / 2).toFixed(1)} |`,
    );
  }

  const cannon = (path: string, init: { method?: string; headers?: Record<string, string> } = {}) =>
    autocannon({ url: `${local.baseUrl}${path}`, connections: 10, duration: CANNON_SECONDS, method: (init.method ?? "GET") as "GET", headers: init.headers });
  await cannon("/health/live"); // warm-up of both paths
  const bare = await cannon("/health/live");
  const authed = await cannon("/v1/auth/token", { method: "POST", headers: { authorization: `Bearer ${acme.key}` } });
  const ratio = authed.requests.average / bare.requests.average;
  const non2xx = bare.non2xx + authed.non2xx;

  return `## Request path at the edge (scripts/bench-edge.ts)

| request | status | DB round trips | warm p50 at ${LATENCIES.join(" → ")} ms one-way | round trips on the critical path (slope / 2) |
|---|---|---|---|---|
${rows.join("\n")}

Middleware CPU cost (autocannon, 10 connections, ${CANNON_SECONDS} s each, same \`wrangler dev\`):

| route | requests/s (mean) | p99 latency |
|---|---|---|
| GET /health/live (bare: input guard only, no auth, no I/O) | ${bare.requests.average.toFixed(0)} | ${bare.latency.p99} ms |
| POST /v1/auth/token, warm key (guard + auth + rate limit + JWT signing, no I/O) | ${authed.requests.average.toFixed(0)} | ${authed.latency.p99} ms |

Authenticated / bare throughput: **${(ratio * 100).toFixed(0)} %**${non2xx ? ` (non-2xx answers: ${non2xx})` : ""}.
`;
}

if (import.meta.main) {
  const local = await startLocalWorker();
  try {
    console.log(await benchEdge(local));
  } finally {
    await local.stop();
  }
  process.exit(0);
}
