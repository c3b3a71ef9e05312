// `npm run bench`: what a request costs where it matters at the edge — Postgres round trips
// (× the edge-to-database RTT) — plus the CPU cost of the auth primitives. Runs the real
// Worker (wrangler's local runtime) on a fresh embedded Postgres behind the counting proxy.
// Then the cold start: bundle size and startup CPU (dev/bench/startup.ts).
// Prints a Markdown report; BENCHMARKS.md records one run and the command.
import { benchBilling } from "../dev/bench/billing.ts";
import { benchWebhooks } from "../dev/bench/webhooks.ts";
import { benchEdge } from "../dev/bench/edge.ts";
import { startLocalWorker } from "../dev/local-worker.ts";
import { hashPassword, verifyPassword } from "../worker/auth/passwords.ts";
import { issueSessionToken, verifySessionToken } from "../worker/auth/session-token.ts";
import { benchStartup } from "../dev/bench/startup.ts";
import type { Principal } from "../worker/auth/principal.ts";
import { benchInsights } from "../dev/bench/insights.ts";

// `npm run bench -- latency`: the far-user latency model alone (dev/bench/latency.ts).
if (process.argv.slice(2).includes("latency")) {
  const { runLatencyModel } = await import("../dev/bench/latency.ts");
  console.log(await runLatencyModel());
  process.exit(0);
}

// `npm run bench -- archive`: the audit archive, export and verify of one large customer (dev/bench/archive.ts).
if (process.argv.slice(2).includes("archive")) {
  const { benchArchive } = await import("../dev/bench/archive.ts");
  console.log(await benchArchive());
  process.exit(0);
}

const SAMPLES = Number(process.env.BENCH_SAMPLES ?? 40);
const LATENCIES = (process.env.BENCH_LATENCIES_MS ?? "0,25").split(",").map(Number);

const local = await startLocalWorker({ billingHistory: true, demoUsers: true, testScheduled: true });
const { worker, stack, sink, contextKey, signingKeys, users: demoUsers } = local;
const [acme, globex] = local.keys;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
async function settle(): Promise<void> {
  for (let i = 0; i < 200 && stack.proxy.stats().open > 0; i++) await sleep(10);
  await sleep(50);
}
const apiCounts = () => stack.proxy.stats().byUser.sb_api ?? { connections: 0, roundTrips: 0 };

async function cost(
  label: string,
  request: () => Promise<{ status: number; arrayBuffer(): Promise<ArrayBuffer> }>,
): Promise<string> {
  await settle();
  const before = apiCounts();
  const response = await request();
  await response.arrayBuffer();
  await settle();
  const after = apiCounts();
  return `| ${label} | ${response.status} | ${after.connections - before.connections} | ${after.roundTrips - before.roundTrips} |`;
}

const bearer = (token: string) => ({ headers: { authorization: `Bearer ${token}` } });
const rows: string[] = [];
rows.push(await cost("GET /health", () => worker.fetch("/health")));
rows.push(
  await cost("GET /v1/invoices, key not cached (first use)", () => worker.fetch("/v1/invoices", bearer(acme!.key))),
);
rows.push(await cost("GET /v1/invoices, warm key", () => worker.fetch("/v1/invoices", bearer(acme!.key))));
const list = (await (await worker.fetch("/v1/invoices", bearer(acme!.key))).json()) as { data: { id: string }[] };
rows.push(
  await cost("GET /v1/invoices/{id} (+ line items), warm key", () =>
    worker.fetch(`/v1/invoices/${list.data[0]!.id}`, bearer(acme!.key)),
  ),
);
rows.push(
  await cost("POST /v1/auth/token, warm key (auth only)", () =>
    worker.fetch("/v1/auth/token", { method: "POST", ...bearer(acme!.key) }),
  ),
);
const { session_token } = (await (
  await worker.fetch("/v1/auth/token", { method: "POST", ...bearer(globex!.key) })
).json()) as { session_token: string };
rows.push(await cost("GET /v1/invoices, session token", () => worker.fetch("/v1/invoices", bearer(session_token))));

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}
const latencyRows: string[] = [];
const p50s: number[] = [];
for (const latency of LATENCIES) {
  await settle();
  stack.proxy.setLatency(latency);
  const times: number[] = [];
  for (let i = 0; i < SAMPLES; i++) {
    const started = performance.now();
    const response = await worker.fetch("/v1/invoices", bearer(acme!.key));
    await response.arrayBuffer();
    times.push(performance.now() - started);
  }
  p50s.push(percentile(times, 50));
  latencyRows.push(
    `| ${latency} ms | ${percentile(times, 50).toFixed(1)} ms | ${percentile(times, 95).toFixed(1)} ms |`,
  );
}
stack.proxy.setLatency(0);

async function timeIt(n: number, fn: () => Promise<unknown>): Promise<number> {
  const started = performance.now();
  for (let i = 0; i < n; i++) await fn();
  return (performance.now() - started) / n;
}
const stored = await hashPassword("correct horse battery staple");
const principal: Principal = {
  kind: "session_token",
  customerId: acme!.customerId,
  keyId: crypto.randomUUID(),
  userId: null,
  sessionId: null,
  role: null,
  superAdmin: false,
  mode: "test",
  tier: "healthcare",
  scopes: ["invoices:read"],
  rateLimitPerMinute: 1200,
  dataJurisdiction: "us",
  expiresAt: null,
};
const { token } = await issueSessionToken(signingKeys, principal);
const crypto_rows = [
  `| password hash (PBKDF2-SHA256, 600k) | ${(await timeIt(5, () => hashPassword("correct horse battery staple"))).toFixed(1)} ms |`,
  `| password verify | ${(await timeIt(5, () => verifyPassword("correct horse battery staple", stored))).toFixed(1)} ms |`,
  `| session token sign (HS256, jose) | ${((await timeIt(2000, () => issueSessionToken(signingKeys, principal))) * 1000).toFixed(1)} µs |`,
  `| session token verify (HS256, jose) | ${((await timeIt(2000, () => verifySessionToken(signingKeys, token))) * 1000).toFixed(1)} µs |`,
];

const acmeAdmin = demoUsers.find((u) => u.customer === acme!.name && u.role === "admin")!;
const postJson = (path: string, body: unknown) =>
  worker.fetch(path, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
let login = await postJson("/v1/auth/login", { email: acmeAdmin.email, password: acmeAdmin.password });
// Acme Health (healthcare) requires MFA: the demo admin answers the challenge with its TOTP code.
const challenge = (await login.clone().json()) as { mfa_token?: string };
if (challenge.mfa_token && acmeAdmin.totp_secret) {
  const { Secret, TOTP } = await import("otpauth");
  const code = new TOTP({ secret: Secret.fromBase32(acmeAdmin.totp_secret) }).generate();
  login = await postJson("/v1/auth/login/mfa", { mfa_token: challenge.mfa_token, code });
}
const webhooks = await benchWebhooks({
  worker,
  stack,
  sink,
  contextKey,
  customerId: acme!.customerId,
  token: ((await login.json()) as { session_token: string }).session_token,
  events: Number(process.env.BENCH_WEBHOOK_EVENTS ?? 400),
  endpoints: Number(process.env.BENCH_WEBHOOK_ENDPOINTS ?? 25),
});
// Forecast backtest and a year of daily usage in one report (dev/bench/insights.ts).
const insightsSection = await benchInsights(worker, stack, {
  contextKey,
  customerId: acme!.customerId,
  samples: SAMPLES,
});

await local.stop();

// Billing runs on their own fresh database (dev/bench/billing.ts).
// Request-path counts and the middleware's CPU cost, on a worker of its own (dev/bench/edge.ts).
const edgeWorker = await startLocalWorker();
const edgeSection = await benchEdge(edgeWorker);
await edgeWorker.stop();
const billingSection = await benchBilling(
  (process.env.BENCH_BILLING_SIZES ?? "1000,10000,100000").split(",").map(Number),
);

const delta = LATENCIES.length > 1 ? (p50s[1]! - p50s[0]!) / (LATENCIES[1]! - LATENCIES[0]!) : NaN;
console.log(`## Database cost per request (counted by the WebSocket proxy, role sb_api)

| request | status | connections | round trips |
|---|---|---|---|
${rows.join("\n")}

## Warm GET /v1/invoices latency vs injected one-way proxy latency (${SAMPLES} sequential requests)

| one-way latency | p50 | p95 |
|---|---|---|
${latencyRows.join("\n")}

p50 grows by ${delta.toFixed(2)} ms per ms of one-way latency, i.e. ≈ ${(delta / 2).toFixed(1)} round trips on the critical path.

## Auth primitives (Node ${process.version} WebCrypto, same code as the Worker)

| operation | mean |
|---|---|
${crypto_rows.join("\n")}

${billingSection}

${webhooks}

${edgeSection}

${insightsSection}`);
// After the Worker and Postgres are stopped: wrangler check startup wants the CPU to itself.
console.log(await benchStartup());
process.exit(0);
