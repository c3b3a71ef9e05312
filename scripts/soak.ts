// `npm run soak`: load and faults against the real Worker (wrangler's local runtime) — not a
// test, because its figures depend on the machine. 10 tenants, SOAK_REQUESTS requests (default
// 10,000) at SOAK_CONCURRENCY (default 50): tenant reads (lists and single invoices) and token
// exchanges. Midway the WebSocket proxy is stopped for SOAK_OUTAGE_MS (default 2,000) and
// started again. It checks: no 5xx other than 503/504 problems with Retry-After, no row of
// another tenant in any answer, and that service recovers by itself; it prints p50/p99.
import { createApiKey, createCustomer, createInvoice, standardLines } from "../dev/fixtures.ts";
import { startLocalWorker } from "../dev/local-worker.ts";

const TOTAL = Number(process.env.SOAK_REQUESTS ?? 10_000);
const CONCURRENCY = Number(process.env.SOAK_CONCURRENCY ?? 50);
const OUTAGE_MS = Number(process.env.SOAK_OUTAGE_MS ?? 2_000);
const TENANTS = 10;

const local = await startLocalWorker();
interface Tenant {
  customerId: string;
  key: string;
  invoiceIds: Set<string>;
}
const tenants: Tenant[] = await local.asOwner(async (client) => {
  const made: Tenant[] = [];
  for (let t = 0; t < TENANTS; t++) {
    const customerId = await createCustomer(client, {
      name: `Soak ${t}`,
      email: `soak${t}@example.com`,
      tier: "gov_federal",
    });
    const { key } = await createApiKey(client, customerId, { scopes: ["invoices:read"] });
    const invoiceIds = new Set<string>();
    for (let m = 1; m <= 3; m++) {
      invoiceIds.add(
        await createInvoice(client, customerId, {
          number: `SB-SOAK-${t}-${m}`,
          periodStart: `2026-0${m}-01`,
          periodEnd: `2026-0${m + 1}-01`,
          status: "paid",
          lines: standardLines(200_000, 100 * m, 1_000),
        }),
      );
    }
    made.push({ customerId, key, invoiceIds });
  }
  return made;
});

const statuses = new Map<number, number>();
const latencies: number[] = [];
let leaks = 0;
let badErrors = 0;
let outageEndedAt = 0;
let firstSuccessAfterOutage = 0;

async function one(i: number): Promise<void> {
  const tenant = tenants[i % TENANTS]!;
  const kind = i % 4;
  const ids = [...tenant.invoiceIds];
  const path =
    kind === 0
      ? "/v1/invoices?limit=100"
      : kind === 1
        ? `/v1/invoices/${ids[i % ids.length]}`
        : kind === 2
          ? "/v1/invoices?limit=2"
          : "/v1/auth/token";
  const started = performance.now();
  const response = await fetch(`${local.baseUrl}${path}`, {
    method: kind === 3 ? "POST" : "GET",
    headers: { authorization: `Bearer ${tenant.key}` },
  });
  const body = await response.text();
  const finished = performance.now();
  latencies.push(finished - started);
  statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1);
  if (response.status >= 500) {
    const problem = response.headers.get("content-type") === "application/problem+json";
    const retry = Number(response.headers.get("retry-after")) > 0;
    if (![503, 504].includes(response.status) || !problem || !retry) badErrors++;
  } else if (response.status === 200 && kind !== 3) {
    const json = JSON.parse(body) as { id?: string; data?: { id: string }[] };
    for (const id of json.data ? json.data.map((d) => d.id) : [json.id!]) if (!tenant.invoiceIds.has(id)) leaks++;
    if (outageEndedAt && !firstSuccessAfterOutage && Date.now() > outageEndedAt) firstSuccessAfterOutage = Date.now();
  }
}

let next = 0;
const started = performance.now();
const outage = (async () => {
  while (next < TOTAL * 0.4) await new Promise((r) => setTimeout(r, 20));
  await local.stack.stopProxy();
  await new Promise((r) => setTimeout(r, OUTAGE_MS));
  await local.stack.startProxy();
  outageEndedAt = Date.now();
})();
await Promise.all(
  Array.from({ length: CONCURRENCY }, async () => {
    while (next < TOTAL) await one(next++);
  }),
);
await outage;
const seconds = (performance.now() - started) / 1000;
await local.stop();

const sorted = [...latencies].sort((a, b) => a - b);
const pct = (p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!.toFixed(1);
const byStatus = [...statuses]
  .sort(([a], [b]) => a - b)
  .map(([s, n]) => `${s}: ${n}`)
  .join(", ");
console.log(`## Soak (npm run soak): ${TOTAL} requests, ${TENANTS} tenants, concurrency ${CONCURRENCY}, proxy stopped for ${OUTAGE_MS} ms at 40 %

| figure | value |
|---|---|
| throughput | ${(TOTAL / seconds).toFixed(0)} requests/s over ${seconds.toFixed(1)} s |
| statuses | ${byStatus} |
| 5xx that are not 503/504 problems with Retry-After | ${badErrors} |
| rows of another tenant in any answer | ${leaks} |
| latency p50 / p99 / max | ${pct(50)} ms / ${pct(99)} ms / ${sorted[sorted.length - 1]!.toFixed(1)} ms |
| first success after the proxy came back | ${firstSuccessAfterOutage ? `${firstSuccessAfterOutage - outageEndedAt} ms` : "none"} |
`);
process.exit(badErrors === 0 && leaks === 0 && firstSuccessAfterOutage > 0 ? 0 : 1);
