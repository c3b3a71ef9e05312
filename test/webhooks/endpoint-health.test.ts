// Failing endpoints and fairness: a warning after 4 days of continuous failure, disabled with
// `webhook.endpoint.disabled` after 5, a success ends the streak; a slow receiver never has more
// than two requests in flight and does not hold up another endpoint's deliveries.
import { createScheduledController } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import worker from "../../worker/index.ts";
import { deliverWebhooks, ENDPOINT_CONCURRENCY } from "../../worker/webhooks/delivery-attempts.ts";
import { as } from "../helpers/database.ts";
import { userToken } from "../helpers/identity.ts";
import { received, receiver, sinkUrl } from "../helpers/sink.ts";
import { eventually } from "../helpers/wait.ts";
import { call, createTenant, type TestTenant } from "../helpers/tenants.ts";

let tenant: TestTenant;
let token: string;
beforeAll(async () => {
  tenant = await createTenant();
  token = (await userToken(tenant.customerId, "admin")).token;
});

const sweep = () => worker.scheduled(createScheduledController({ scheduledTime: new Date(), cron: "* * * * *" }), env);

async function endpoint(url: string): Promise<string> {
  const response = await call("/v1/webhooks/endpoints", {
    method: "POST",
    token,
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ url, event_types: ["invoice.created"] }),
  });
  return (await response.json<{ id: string }>()).id;
}

const failingFor = (id: string, days: number) =>
  as("admin", (client) =>
    client.query("UPDATE webhook_endpoints SET failing_since = now() - make_interval(secs => $2) WHERE id = $1", [
      id,
      days * 86400,
    ]),
  );

const notifications = async () =>
  (
    await (
      await call("/v1/notifications?limit=100", { token })
    ).json<{ data: { event_type: string; body: string }[] }>()
  ).data;

/** Deliveries of invoice.created to `endpointId`, due now, without going through the queue. */
async function dueDeliveries(endpointId: string, count: number): Promise<string[]> {
  return as("admin", async (client) => {
    const { rows } = await client.query(
      `INSERT INTO webhook_deliveries (customer_id, endpoint_id, event_id, event_type, payload, next_attempt_at)
       SELECT $1, $2, gen_random_uuid(), 'invoice.created', '{"type":"invoice.created"}', now() FROM generate_series(1, $3::int) RETURNING id`,
      [tenant.customerId, endpointId, count],
    );
    return rows.map((r) => r.id as string);
  });
}

describe("failing endpoints", () => {
  it("warns once after 4 days of failures, and disables with webhook.endpoint.disabled after 5", async () => {
    const hook = await receiver({ then_status: 500 });
    const id = await endpoint(hook.url);
    await failingFor(id, 4.2);
    await sweep();
    await sweep();
    const warnings = (await notifications()).filter(
      (n) => n.event_type === "webhook.endpoint.failing" && n.body.includes(hook.url),
    );
    expect(warnings).toHaveLength(1);
    expect((await (await call(`/v1/webhooks/endpoints/${id}`, { token })).json<{ status: string }>()).status).toBe(
      "enabled",
    );

    await failingFor(id, 5.1);
    await sweep();
    expect(await (await call(`/v1/webhooks/endpoints/${id}`, { token })).json()).toMatchObject({
      status: "disabled",
      disabled_reason: "failing",
    });
    const { rows } = await as("admin", (client) =>
      client.query(
        "SELECT type, payload FROM outbox_events WHERE customer_id = $1 AND type = 'webhook.endpoint.disabled'",
        [tenant.customerId],
      ),
    );
    expect(rows).toMatchObject([{ payload: { endpoint_id: id, reason: "failing" } }]);
    const audit = await as("admin", (client) =>
      client.query("SELECT actor_type, action FROM audit_events WHERE resource_id = $1 ORDER BY seq", [id]),
    );
    expect(audit.rows.at(-1)).toEqual({ actor_type: "system", action: "webhook_endpoint.disabled" });
  });

  it("ends the failure streak with a successful delivery", async () => {
    const hook = await receiver();
    const id = await endpoint(hook.url);
    await failingFor(id, 3);
    await deliverWebhooks(env, await dueDeliveries(id, 1));
    expect(await (await call(`/v1/webhooks/endpoints/${id}`, { token })).json()).toMatchObject({
      status: "enabled",
      failing_since: null,
    });
  });
});

describe("fairness", () => {
  it(`keeps at most ${ENDPOINT_CONCURRENCY} requests in flight per endpoint; a slow receiver does not hold up a fast one`, async () => {
    const slow = await receiver({ script: Array.from({ length: 6 }, () => ({ status: 200, delay_ms: 600 })) });
    const fast = await receiver();
    const slowId = await endpoint(slow.url);
    const fastId = await endpoint(fast.url);
    const ids = [...(await dueDeliveries(slowId, 6)), ...(await dueDeliveries(fastId, 6))];
    const started = Date.now();
    const summary = await deliverWebhooks(env, ids);
    expect(summary).toMatchObject({ attempted: 12, succeeded: 12 });
    const stats = await (await fetch(`${sinkUrl()}/webhooks/${slow.name}/stats`)).json<{ max_in_flight: number }>();
    expect(stats.max_in_flight).toBe(ENDPOINT_CONCURRENCY);
    // 6 slow requests, 2 at a time, take ≥ 3 × 600 ms; the fast endpoint was done before the slow
    // one's last request even arrived (an order, not a speed: it holds on a loaded machine).
    expect(Date.now() - started).toBeGreaterThanOrEqual(1800);
    const fastDone = Math.max(...(await received(fast.name)).map((r) => Date.parse(r.received_at)));
    const slowLast = Math.max(...(await received(slow.name)).map((r) => Date.parse(r.received_at)));
    expect(fastDone).toBeLessThan(slowLast);
  });
});

describe("an endpoint deleted while its deliveries are in flight", () => {
  it("records the other deliveries' attempts and fails nothing", async () => {
    const slow = await receiver({ script: [{ status: 200, delay_ms: 800 }] });
    const fast = await receiver();
    const slowId = await endpoint(slow.url);
    const fastId = await endpoint(fast.url);
    const ids = [...(await dueDeliveries(slowId, 1)), ...(await dueDeliveries(fastId, 2))];
    const running = deliverWebhooks(env, ids);
    // Delete only once the slow receiver holds its request (in flight, not yet answered).
    await eventually(async () => {
      const stats = await (await fetch(`${sinkUrl()}/webhooks/${slow.name}/stats`)).json<{ max_in_flight: number }>();
      expect(stats.max_in_flight).toBe(1);
    });
    expect((await call(`/v1/webhooks/endpoints/${slowId}`, { method: "DELETE", token })).status).toBe(204);
    expect(await running).toMatchObject({ attempted: 3, succeeded: 3 });
    const { rows } = await as("admin", (client) =>
      client.query(
        "SELECT d.status, count(a.*)::int AS attempts FROM webhook_deliveries d JOIN webhook_delivery_attempts a ON a.delivery_id = d.id WHERE d.endpoint_id = $1 GROUP BY 1",
        [fastId],
      ),
    );
    expect(rows).toEqual([{ status: "succeeded", attempts: 2 }]);
  });
});
