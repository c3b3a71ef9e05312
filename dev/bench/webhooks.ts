// The webhook part of `npm run bench` (called from scripts/bench.ts): what a write pays for its
// outbox row, and delivery throughput from the local Worker (wrangler's runtime, real Queues
// simulation) to local receivers. Returns a Markdown section.
import pg from "pg";
import type { Unstable_DevWorker } from "wrangler";
import { asCustomer, fixtureClient } from "../fixtures.ts";
import type { LocalStack } from "../local-stack.ts";
import { WORK_CHUNK } from "../../worker/events/messages.ts";
import { ENDPOINT_CONCURRENCY, INVOCATION_CONCURRENCY } from "../../worker/webhooks/delivery-attempts.ts";
import type { LocalSink } from "../local-sink.ts";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function benchWebhooks(options: {
  worker: Unstable_DevWorker;
  stack: LocalStack;
  sink: LocalSink;
  contextKey: string;
  customerId: string;
  /** A portal login token (admin) of that customer. */
  token: string;
  events: number;
  endpoints: number;
}): Promise<string> {
  const { worker, stack, sink, token } = options;
  const auth = { authorization: `Bearer ${token}`, "content-type": "application/json" };
  const api = () => stack.proxy.stats().byUser.sb_api ?? { connections: 0, roundTrips: 0 };
  const settle = async () => {
    for (let i = 0; i < 200 && stack.proxy.stats().open > 0; i++) await sleep(10);
    await sleep(50);
  };

  // 1. Round trips of a write that emits an event, vs. the same write's statements without it.
  const costRows: string[] = [];
  for (const [label, path, body] of [
    [
      "POST /v1/api-keys (key + audit + api_key.created outbox row)",
      "/v1/api-keys",
      { name: "bench", scopes: ["invoices:read"] },
    ],
    [
      "POST /v1/webhooks/endpoints (endpoint + audit, no event)",
      "/v1/webhooks/endpoints",
      { url: `${sink.url}/webhooks/cost` },
    ],
  ] as const) {
    await worker.fetch(path, { method: "POST", headers: auth, body: JSON.stringify(body) }); // warm
    await settle();
    const before = api();
    const response = await worker.fetch(path, { method: "POST", headers: auth, body: JSON.stringify(body) });
    await response.arrayBuffer();
    await settle();
    const after = api();
    costRows.push(`| ${label} | ${response.status} | ${after.roundTrips - before.roundTrips} |`);
  }

  // Events written while seeding (demo invoices) are not part of this measurement: mark them
  // published so they reach none of the endpoints registered below.
  const jobs = new pg.Client({ connectionString: stack.jobsUrl });
  await jobs.connect();
  await jobs.query("UPDATE outbox_events SET published_at = now() WHERE published_at IS NULL");
  await jobs.end();

  // 2. Throughput: N endpoints subscribed to invoice.created, E events in the outbox (as the
  // billing run writes them), the minute sweep publishes; count until the sink has them all.
  const names: string[] = [];
  for (let i = 0; i < options.endpoints; i++) {
    const name = `bench${i}`;
    names.push(name);
    const response = await worker.fetch("/v1/webhooks/endpoints", {
      method: "POST",
      headers: auth,
      body: JSON.stringify({ url: `${sink.url}/webhooks/${name}`, event_types: ["invoice.created"] }),
    });
    const { secret } = (await response.json()) as { secret: string };
    await fetch(`${sink.url}/webhooks/${name}`, { method: "PUT", body: JSON.stringify({ secrets: [secret] }) });
  }
  const owner = new pg.Client({ connectionString: stack.ownerUrl });
  await owner.connect();
  await asCustomer(fixtureClient(owner, options.contextKey), options.customerId, () =>
    owner.query(
      `INSERT INTO outbox_events (customer_id, type, payload, created_at)
       SELECT $1, 'invoice.created', jsonb_build_object('id', gen_random_uuid(), 'number', 'SB-BENCH-' || n, 'period_start', '2026-10-01',
         'period_end', '2026-10-31', 'total_cents', n, 'currency', 'usd'), now() - interval '1 minute'
       FROM generate_series(1, $2::int) AS n`,
      [options.customerId, options.events],
    ),
  );
  await owner.end();
  const total = options.events * options.endpoints;
  const started = performance.now();
  const roundTripsBefore = stack.proxy.stats().roundTrips;
  for (let i = 0; i < Math.ceil(options.events / 500); i++) await worker.fetch("/__scheduled?cron=*+*+*+*+*");
  const stats = () =>
    Promise.all(
      names.map(async (n) => (await (await fetch(`${sink.url}/webhooks/${n}/stats`)).json()) as { requests: number }),
    );
  let delivered = 0;
  for (let waited = 0; delivered < total && waited < 600_000; waited += 250) {
    await sleep(250);
    delivered = (await stats()).reduce((sum, r) => sum + r.requests, 0);
  }
  const seconds = (performance.now() - started) / 1000;
  const trips = stack.proxy.stats().roundTrips - roundTripsBefore;
  const requests = (
    await Promise.all(
      names.map(
        async (n) =>
          (await (await fetch(`${sink.url}/webhooks/${n}/requests`)).json()) as {
            verified: boolean;
            received_at: string;
          }[],
      ),
    )
  ).flat();
  const verified = requests.filter((r) => r.verified).length;
  const times = requests.map((r) => Date.parse(r.received_at)).sort((a, b) => a - b);
  const steadySeconds = (times.at(-1)! - times[0]!) / 1000;
  return `## Webhooks (dev/bench/webhooks.ts)

Postgres round trips of a write request (role sb_api, counted by the proxy). The outbox row is
buffered by \`emit\` and sent in COMMIT's round trip, so an event-emitting write costs the same
round trips as one that emits nothing:

| request | status | round trips |
|---|---|---|
${costRows.join("\n")}

Delivery throughput, ${options.events} \`invoice.created\` events × ${options.endpoints} endpoints = ${total} deliveries, from the
local Worker (\`wrangler dev\` runtime: Queues simulated, batches ≤ 50 messages × ${WORK_CHUNK} deliveries,
≤ ${INVOCATION_CONCURRENCY} requests in flight per invocation, ≤ ${ENDPOINT_CONCURRENCY} per endpoint) to receivers on 127.0.0.1
that verify every signature with \`standardwebhooks\`. "End to end" counts from the sweep that
publishes the outbox rows to the last delivery; "delivering" from the first to the last delivery.

| deliveries | verified | end to end | deliveries/s end to end | deliveries/s delivering | Postgres round trips (all roles) |
|---|---|---|---|---|---|
| ${delivered} | ${verified} | ${seconds.toFixed(1)} s | ${Math.round(delivered / seconds)} | ${Math.round(delivered / steadySeconds)} | ${trips} (${(trips / Math.max(delivered, 1)).toFixed(3)} per delivery) |
`;
}
