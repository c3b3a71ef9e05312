// The insights section of `npm run bench`: the forecast backtest (coverage and MAPE, see
// dev/bench/backtest-forecast.ts) and what a portal-sized report costs — a year of daily usage
// for one customer, two metrics, in one query on the analytics role, over HTTP.
import pg from "pg";
import { asCustomer, createApiKey, fixtureClient } from "../fixtures.ts";
import type { LocalStack } from "../local-stack.ts";
import { backtestReport } from "./backtest-forecast.ts";

interface BenchWorker {
  fetch(
    path: string,
    init?: { headers?: Record<string, string> },
  ): Promise<{ status: number; text(): Promise<string> }>;
}

const percentile = (values: number[], p: number) =>
  [...values].sort((a, b) => a - b)[Math.min(values.length - 1, Math.floor((p / 100) * values.length))]!;

export async function benchInsights(
  worker: BenchWorker,
  stack: LocalStack,
  options: { contextKey: string; customerId: string; samples: number },
): Promise<string> {
  const owner = new pg.Client({ connectionString: stack.ownerUrl });
  await owner.connect();
  const client = fixtureClient(owner, options.contextKey);
  let serverMs = 0;
  await asCustomer(client, options.customerId, async () => {
    await client.query(
      `INSERT INTO usage_daily (customer_id, metric, day, quantity, events)
       SELECT $1, m, d::date, round((random() * 1000)::numeric, 6), 24
       FROM generate_series(date '2025-01-01', date '2025-12-31', interval '1 day') AS d,
            unnest(ARRAY['log_storage_gb_month', 'nat_processing_gb']) AS m
       ON CONFLICT DO NOTHING`,
      [options.customerId],
    );
    await client.query("ANALYZE usage_daily");
    const { rows } = await client.query(
      `EXPLAIN (ANALYZE, FORMAT JSON) SELECT day::text AS period, metric, quantity::text AS quantity, events FROM usage_daily
       WHERE customer_id = $1 AND day >= '2025-01-01' AND day < '2026-01-01' ORDER BY day, metric`,
      [options.customerId],
    );
    serverMs = (rows[0] as { "QUERY PLAN": { "Execution Time": number }[] })["QUERY PLAN"][0]!["Execution Time"];
  });
  const { key } = await createApiKey(client, options.customerId, { name: "Reports bench", scopes: ["reports:read"] });
  await owner.end();

  const path = "/v1/analytics/reports/usage?from=2025-01-01&to=2026-01-01";
  const auth = { authorization: `Bearer ${key}` };
  const times: Record<"json" | "csv", number[]> = { json: [], csv: [] };
  let rowsReturned = 0;
  for (const format of ["json", "csv"] as const) {
    await worker.fetch(`${path}&format=${format}`, { headers: auth }); // warm the key and the isolate
    for (let i = 0; i < options.samples; i++) {
      const started = performance.now();
      const response = await worker.fetch(`${path}&format=${format}`, { headers: auth });
      const body = await response.text();
      times[format].push(performance.now() - started);
      if (format === "json") rowsReturned = (JSON.parse(body) as { rows: unknown[] }).rows.length;
    }
  }
  const before = stack.proxy.stats().byUser.sb_analytics ?? { connections: 0, roundTrips: 0 };
  await worker.fetch(`${path}&format=json`, { headers: auth });
  await new Promise((r) => setTimeout(r, 200));
  const after = stack.proxy.stats().byUser.sb_analytics ?? { connections: 0, roundTrips: 0 };

  return `## Cost forecast backtest (\`npm run backtest:forecast\`, dev/bench/backtest-forecast.ts)

${backtestReport()}

## A year of daily usage for one customer (GET ${path})

${rowsReturned} rows (365 days × 2 metrics), one query on \`sb_analytics\`: ${after.connections - before.connections} connection, ${after.roundTrips - before.roundTrips} round trips per request; the query itself executes in ${serverMs.toFixed(2)} ms in Postgres (EXPLAIN ANALYZE, index on (customer_id, metric, day)).

| format | p50 | p95 (${options.samples} sequential requests, warm key) |
|---|---|---|
| JSON | ${percentile(times.json, 50).toFixed(1)} ms | ${percentile(times.json, 95).toFixed(1)} ms |
| CSV | ${percentile(times.csv, 50).toFixed(1)} ms | ${percentile(times.csv, 95).toFixed(1)} ms |
`;
}
