// Edge request-path costs, as counts and ratios (`npm run bench` prints this section):
// - database round trips of a warm GET, a POST that changes one resource, a session-token GET
//   (counted by the WebSocket proxy);
// - the latency slope of each under injected one-way proxy latency: ms of p50 per ms of one-way
//   latency / 2 = round trips on the critical path (whatever else the request does — KV reads,
//   Durable Object calls — adds no slope, and locally costs ~0: see the tests for their counts);
// - the middleware's CPU cost: requests/s of an authenticated warm-key route whose handler does
//   no I/O (GET /v1/permissions), over the same for a bare public route (autocannon, same
//   connections), and the Worker process's CPU per request for each.
import autocannon from "autocannon";
import { readdirSync, readFileSync } from "node:fs";
import { createApiKey } from "../fixtures.ts";
import { startLocalWorker, type LocalWorker } from "../local-worker.ts";

const SAMPLES = Number(process.env.BENCH_SAMPLES ?? 40);
const LATENCIES = (process.env.BENCH_LATENCIES_MS ?? "0,25").split(",").map(Number);
const CANNON_SECONDS = Number(process.env.BENCH_CANNON_SECONDS ?? 8);

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** CPU ms (user + system) used so far by this process's workerd descendants (Linux /proc). */
function workerCpuMs(): number {
  const ticksPerSecond = 100; // USER_HZ on Linux
  const children = new Map<number, number[]>();
  const stats = new Map<number, string[]>();
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const raw = readFileSync(`/proc/${entry}/stat`, "utf8");
      // Fields after the parenthesised command name: state, ppid, …, utime (14th), stime (15th).
      const close = raw.lastIndexOf(")");
      const fields = [raw.slice(raw.indexOf("(") + 1, close), ...raw.slice(close + 2).split(" ")];
      stats.set(Number(entry), fields);
      const parent = Number(fields[2]);
      children.set(parent, [...(children.get(parent) ?? []), Number(entry)]);
    } catch {
      // The process ended while we looked.
    }
  }
  let ticks = 0;
  const visit = (pid: number) => {
    for (const child of children.get(pid) ?? []) {
      const fields = stats.get(child)!;
      if (fields[0] === "workerd") ticks += Number(fields[12]) + Number(fields[13]);
      visit(child);
    }
  };
  visit(process.pid);
  return (ticks / ticksPerSecond) * 1000;
}

/** Per request kind: status, database round trips, warm p50 per injected latency, slope / 2. */
async function roundTripRows(local: LocalWorker): Promise<string[]> {
  const acme = local.keys[0]!;
  const writer = await local.asOwner((client) =>
    createApiKey(client, acme.customerId, { scopes: ["api_keys:write", "invoices:read"] }),
  );
  const { session_token } = (await (
    await local.worker.fetch("/v1/auth/token", { method: "POST", headers: { authorization: `Bearer ${acme.key}` } })
  ).json()) as {
    session_token: string;
  };
  const kinds: { label: string; run: () => Promise<{ status: number; arrayBuffer(): Promise<ArrayBuffer> }> }[] = [
    {
      label: "GET /v1/invoices, warm key",
      run: () => local.worker.fetch("/v1/invoices", { headers: { authorization: `Bearer ${acme.key}` } }),
    },
    {
      label: "GET /v1/invoices, session token",
      run: () => local.worker.fetch("/v1/invoices", { headers: { authorization: `Bearer ${session_token}` } }),
    },
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
  return rows;
}

export async function benchEdge(local: LocalWorker): Promise<string> {
  const acme = local.keys[0]!;
  const rows = await roundTripRows(local);
  // Production's start-up: RDS Proxy offers SCRAM only, so DB_PIPELINE_CONNECT=false there and the
  // driver waits for each SASL step. The same requests against a Postgres that asks for SCRAM.
  const scram = await startLocalWorker({ databaseAuth: "scram" });
  let scramRows: string[];
  try {
    scramRows = await roundTripRows(scram);
  } finally {
    await scram.stop();
  }

  // Middleware CPU: the same `wrangler dev`, the same connections, a bare route and two warm-key
  // routes. Requests/s includes wrangler's dev proxy (in this Node process), so the CPU the
  // Worker's process spent per request is reported too: that is the middleware's own cost.
  // Each authenticated run uses a fresh key, so its per-key rate limit never refuses (a 429 is
  // cheaper than a 200 and would flatter the ratio); non-2xx answers are counted and shown.
  const cannon = async (path: string, init: { method?: string; token?: string } = {}) => {
    const run = () =>
      autocannon({
        url: `${local.baseUrl}${path}`,
        connections: 10,
        duration: CANNON_SECONDS,
        method: (init.method ?? "GET") as "GET",
        headers: init.token ? { authorization: `Bearer ${init.token}` } : {},
      });
    const cpuBefore = workerCpuMs();
    const result = await run();
    const cpu = workerCpuMs() - cpuBefore;
    return { result, cpuPerRequest: cpu / result.requests.total };
  };
  const freshKey = async () =>
    (await local.asOwner((client) => createApiKey(client, acme.customerId, { scopes: ["invoices:read"] }))).key;
  const warm = async (path: string, init: { method?: string; token?: string }) => {
    for (let i = 0; i < 20; i++)
      await (
        await local.worker.fetch(path, { method: init.method, headers: { authorization: `Bearer ${init.token}` } })
      ).arrayBuffer();
  };
  await cannon("/health/live"); // warms the isolate and the domains' routes
  const bare = await cannon("/health/live");
  const permissionsKey = await freshKey();
  await warm("/v1/permissions", { token: permissionsKey });
  const authed = await cannon("/v1/permissions", { token: permissionsKey });
  const tokenKey = await freshKey();
  await warm("/v1/auth/token", { method: "POST", token: tokenKey });
  const signing = await cannon("/v1/auth/token", { method: "POST", token: tokenKey });
  const ratio = authed.result.requests.average / bare.result.requests.average;
  const row = (label: string, run: typeof bare) =>
    `| ${label} | ${run.result.requests.average.toFixed(0)} | ${run.result.latency.p99} ms | ${run.cpuPerRequest.toFixed(2)} ms | ${run.result.non2xx} |`;

  return `## Request path at the edge (dev/bench/edge.ts)

| request | status | DB round trips | warm p50 at ${LATENCIES.join(" → ")} ms one-way | round trips on the critical path (slope / 2) |
|---|---|---|---|---|
${rows.join("\n")}

The same requests when Postgres asks for SCRAM-SHA-256 (as RDS Proxy does in staging and production, \`DB_PIPELINE_CONNECT=false\`):

| request | status | DB round trips | warm p50 at ${LATENCIES.join(" → ")} ms one-way | round trips on the critical path (slope / 2) |
|---|---|---|---|---|
${scramRows.join("\n")}

Middleware CPU cost (autocannon, 10 connections, ${CANNON_SECONDS} s each, same \`wrangler dev\`; CPU = the workerd
process's user+system time over the run / requests served, 10 ms clock ticks):

| route | requests/s (mean) | p99 latency | workerd CPU per request | non-2xx |
|---|---|---|---|---|
${row("GET /health/live (bare: input guard only, no auth, no I/O)", bare)}
${row("GET /v1/permissions, warm key (guard + auth + permission + rate limit; handler does no I/O)", authed)}
${row("POST /v1/auth/token, warm key (the same + idempotency check + HS256 signing in the handler)", signing)}

Authenticated / bare throughput: **${(ratio * 100).toFixed(0)} %**; CPU per request authenticated / bare: **${(authed.cpuPerRequest / bare.cpuPerRequest).toFixed(2)}×**.
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
