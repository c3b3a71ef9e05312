// 1,000 events across 50 endpoints, through the real pipeline (sweep -> Queues -> fan-out ->
// work messages -> delivery): every endpoint receives every event exactly once, each delivery
// verified by `standardwebhooks` in the receiver.
import { createScheduledController } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import worker from "../../worker/index.ts";
import { as } from "../helpers/database.ts";
import { userToken } from "../helpers/identity.ts";
import { configureReceiver, received, receiver } from "../helpers/sink.ts";
import { eventually, expectNothingAfter } from "../helpers/wait.ts";
import { call, createTenant } from "../helpers/tenants.ts";

const EVENTS = 1000;
const ENDPOINTS = 50;

describe("scale", () => {
  it(`delivers ${EVENTS} events to each of ${ENDPOINTS} endpoints exactly once`, { timeout: 300_000 }, async () => {
    const tenant = await createTenant();
    const { token } = await userToken(tenant.customerId, "admin");
    const hooks = await Promise.all(Array.from({ length: ENDPOINTS }, () => receiver()));
    for (const hook of hooks) {
      const response = await call("/v1/webhooks/endpoints", {
        method: "POST",
        token,
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ url: hook.url, event_types: ["invoice.created"] }),
      });
      expect(response.status).toBe(201);
      await configureReceiver(hook.name, { secrets: [(await response.json<{ secret: string }>()).secret] });
    }
    // Written the way the billing run writes them: rows in the outbox, published by the sweep.
    const eventIds = await as("admin", async (client) => {
      const { rows } = await client.query(
        `INSERT INTO outbox_events (customer_id, type, payload)
         SELECT $1, 'invoice.created', jsonb_build_object('id', gen_random_uuid(), 'number', 'SB-SCALE-' || n, 'period_start', '2026-10-01',
           'period_end', '2026-10-31', 'total_cents', n, 'currency', 'usd')
         FROM generate_series(1, ${EVENTS}) AS n RETURNING id`,
        [tenant.customerId],
      );
      return rows.map((r) => r.id as string);
    });
    const started = Date.now();
    // The minute sweep publishes at most 500 rows a run; run it "every minute" (every 5 s here)
    // until the outbox is drained, as Cron would. Polled every 0.5 s: each probe counts up to
    // 50,000 rows, and this test shares the machine with the rest of the suite.
    const sweep = () =>
      worker.scheduled(
        createScheduledController({ scheduledTime: new Date(Date.now() + 60_000), cron: "* * * * *" }),
        env,
      );
    let probes = 0;
    const counts = () =>
      as("admin", async (client) => {
        const { rows } = await client.query(
          `SELECT (SELECT count(*) FROM outbox_events WHERE customer_id = $1 AND published_at IS NULL) AS unpublished,
                  (SELECT count(*) FROM webhook_deliveries WHERE customer_id = $1 AND status = 'succeeded') AS succeeded,
                  (SELECT count(*) FROM webhook_delivery_attempts WHERE customer_id = $1) AS attempts`,
          [tenant.customerId],
        );
        return {
          unpublished: Number(rows[0]!.unpublished),
          succeeded: Number(rows[0]!.succeeded),
          attempts: Number(rows[0]!.attempts),
        };
      });
    const drained = eventually(
      async () => {
        const n = await counts();
        if (probes++ % 10 === 0 && n.unpublished > 0) await sweep();
        expect(n.succeeded).toBe(EVENTS * ENDPOINTS);
        return n;
      },
      { timeoutMs: 280_000, intervalMs: 500 },
    );
    await drained.catch(async () => {
      const stuck = await as("admin", (client) =>
        client.query(
          `SELECT d.status, a.error, a.status_code, count(*) AS n FROM webhook_deliveries d LEFT JOIN webhook_delivery_attempts a ON a.delivery_id = d.id
           WHERE d.customer_id = $1 AND d.status <> 'succeeded' GROUP BY 1, 2, 3`,
          [tenant.customerId],
        ),
      );
      console.log("not delivered:", JSON.stringify(stuck.rows));
    });
    await drained;
    const seconds = (Date.now() - started) / 1000;
    console.log(
      `scale: ${EVENTS * ENDPOINTS} deliveries in ${seconds.toFixed(1)} s (${Math.round((EVENTS * ENDPOINTS) / seconds)}/s in the test runtime)`,
    );

    // Every delivery succeeded and its attempts are recorded (an attempt is recorded after its
    // send): no send is left in flight, so the receivers now hold each event exactly once.
    await expectNothingAfter(
      async () => expect((await counts()).attempts).toBeGreaterThanOrEqual(EVENTS * ENDPOINTS),
      async () => {
        const expected = [...eventIds].sort();
        for (const hook of hooks) {
          const requests = await received(hook.name);
          expect(requests.map((r) => r.headers["webhook-id"]).sort()).toEqual(expected);
          expect(requests.every((r) => r.verified)).toBe(true);
        }
      },
    );
  });
});
