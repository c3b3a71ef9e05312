// Webhook delivery end to end: an API change -> outbox -> Queues -> fan-out -> a signed POST to a
// real receiver on 127.0.0.1 that verifies it with the npm `standardwebhooks` library. Retries
// are driven by moving next_attempt_at (the schedule lives in Postgres) and running the
// delivery step the queue runs.
import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import {
  deliverWebhooks,
  MAX_ATTEMPTS,
  nextDelaySeconds,
  parseRetryAfter,
} from "../../worker/webhooks/delivery-attempts.ts";
import { as } from "../helpers/database.ts";
import { userToken } from "../helpers/identity.ts";
import { received, receiver } from "../helpers/sink.ts";
import { eventually } from "../helpers/wait.ts";
import { call, createTenant, type TestTenant } from "../helpers/tenants.ts";
import type { Schemas } from "../helpers/http.ts";

type Delivery = Schemas["WebhookDeliveryDetail"];

let tenant: TestTenant;
let token: string;
beforeAll(async () => {
  tenant = await createTenant();
  token = (await userToken(tenant.customerId, "admin")).token;
});

const post = (path: string, body?: unknown) =>
  call(path, {
    method: "POST",
    token,
    headers: { "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });

async function register(url: string, eventTypes: string[] = []): Promise<{ id: string; secret: string }> {
  const response = await post("/v1/webhooks/endpoints", { url, event_types: eventTypes });
  expect(response.status).toBe(201);
  return response.json();
}

const deliveriesOf = async (endpointId: string, query = ""): Promise<Delivery[]> =>
  (
    await (
      await call(`/v1/webhooks/endpoints/${endpointId}/deliveries?limit=100${query}`, { token })
    ).json<{ data: Delivery[] }>()
  ).data;
const delivery = async (id: string): Promise<Delivery> =>
  (await call(`/v1/webhooks/deliveries/${id}`, { token })).json();

/** Time travel on the Postgres schedule: the delivery is due now; then run the delivery step. */
async function attemptNow(deliveryId: string) {
  // Only once no attempt is in flight (the queue's own delayed retry may be running one).
  await eventually(async () => {
    const { rows } = await as("admin", (client) =>
      client.query(
        `UPDATE webhook_deliveries d SET next_attempt_at = now() WHERE id = $1
           AND attempt_count = (SELECT count(*) FROM webhook_delivery_attempts a WHERE a.delivery_id = d.id) RETURNING id`,
        [deliveryId],
      ),
    );
    expect(rows, "an attempt is still in flight").toHaveLength(1);
  });
  return deliverWebhooks(env, [deliveryId]);
}

async function createKey(name: string): Promise<string> {
  const response = await post("/v1/api-keys", { name, scopes: ["invoices:read"] });
  expect(response.status).toBe(201);
  return (await response.json<{ id: string }>()).id;
}

describe("webhook delivery", () => {
  it("delivers a signed api_key.created that standardwebhooks verifies, and shows it in the delivery log", async () => {
    const hook = await receiver();
    const endpoint = await register(hook.url, ["api_key.created"]);
    expect(endpoint.secret).toMatch(/^whsec_[A-Za-z0-9+/]{32}$/);
    await fetch(`${hook.url}`, { method: "PUT", body: JSON.stringify({ secrets: [endpoint.secret] }) });

    const keyId = await createKey("delivered");
    const requests = await eventually(async () => {
      const r = await received(hook.name);
      expect(r.length > 0, "r.length > 0").toBe(true);
      return r;
    });
    expect(requests).toHaveLength(1);
    const [request] = requests;
    expect(request!.verified).toBe(true);
    const body = JSON.parse(request!.body) as { id: string; type: string; timestamp: string; data: { id: string } };
    expect(body).toMatchObject({ type: "api_key.created", data: { id: keyId } });
    expect(request!.headers["webhook-id"]).toBe(body.id);
    expect(Number(request!.headers["webhook-timestamp"])).toBeCloseTo(Date.now() / 1000, -2);

    const log = await eventually(async () => {
      const d = await deliveriesOf(endpoint.id);
      expect(d[0]?.status === "succeeded", 'd[0]?.status === "succeeded"').toBe(true);
      return d;
    });
    expect(log).toMatchObject([
      { event_type: "api_key.created", event_id: body.id, status: "succeeded", attempt_count: 1 },
    ]);
    const detail = await delivery(log[0]!.id);
    expect(detail.attempts).toMatchObject([{ attempt_number: 1, status_code: 200, error: null }]);
    // The receiver's body is never stored (a stored body would make a blind SSRF readable).
    expect(detail.attempts![0]!.response_excerpt).toBeNull();
  });

  it("only delivers subscribed types: an endpoint subscribed to api_key.revoked never sees api_key.created", async () => {
    const hook = await receiver();
    const endpoint = await register(hook.url, ["api_key.revoked"]);
    const other = await receiver();
    await register(other.url, ["api_key.created"]);
    const keyId = await createKey("to revoke");
    await call(`/v1/api-keys/${keyId}`, { method: "DELETE", token });
    await eventually(async () => {
      const r = await received(hook.name);
      expect(r.length > 0, "r.length > 0").toBe(true);
      return r;
    });
    const log = await eventually(async () => {
      const d = await deliveriesOf(endpoint.id);
      expect(
        d.length > 0 && d.every((x) => x.status === "succeeded"),
        'd.length > 0 && d.every((x) => x.status === "succeeded")',
      ).toBe(true);
      return d;
    });
    expect(log.map((d) => d.event_type)).toEqual(["api_key.revoked"]);
  });

  it("receiver down for the first attempts, then up: delivered once, signature valid, every attempt logged", async () => {
    const hook = await receiver({ script: [{ status: 500 }, { status: 302 }, { status: 503, retry_after: "120" }] });
    const endpoint = await register(hook.url, ["api_key.created"]);
    await fetch(hook.url, { method: "PUT", body: JSON.stringify({ secrets: [endpoint.secret] }) });
    await createKey("flaky");
    const [first] = await eventually(async () => {
      const d = await deliveriesOf(endpoint.id);
      expect(
        d[0]?.attempt_count === 1 && d[0].status === "failed",
        'd[0]?.attempt_count === 1 && d[0].status === "failed"',
      ).toBe(true);
      return d;
    });
    expect(first).toMatchObject({ status: "failed", attempt_count: 1 });

    await attemptNow(first!.id); // 302: redirects are failures, not followed
    const before = Date.now();
    await attemptNow(first!.id); // 503 with Retry-After: 120 s beats the 30-minute schedule? no: the later one wins
    const afterRetryAfter = await delivery(first!.id);
    expect(new Date(afterRetryAfter.next_attempt_at!).getTime() - before).toBeGreaterThan(0.8 * 1800 * 1000 - 5000);
    const summary = await attemptNow(first!.id);
    expect(summary).toMatchObject({ attempted: 1, succeeded: 1 });

    const requests = await received(hook.name);
    expect(requests.map((r) => r.status)).toEqual([500, 302, 503, 200]);
    expect(requests.every((r) => r.verified)).toBe(true);
    expect(new Set(requests.map((r) => r.headers["webhook-id"])).size).toBe(1);
    const detail = await delivery(first!.id);
    expect(detail).toMatchObject({ status: "succeeded", attempt_count: 4 });
    expect(detail.attempts!.map((a) => [a.attempt_number, a.status_code])).toEqual([
      [1, 500],
      [2, 302],
      [3, 503],
      [4, 200],
    ]);
    expect(detail.attempts!.every((a) => a.latency_ms !== null && a.latency_ms >= 0)).toBe(true);
    // Delivered: running the step again sends nothing.
    expect(await deliverWebhooks(env, [first!.id])).toMatchObject({ attempted: 0 });
    expect(await received(hook.name)).toHaveLength(4);
  });

  it("marks a delivery dead after the last attempt and notifies the customer", async () => {
    const hook = await receiver({ then_status: 500 });
    const endpoint = await register(hook.url, ["api_key.created"]);
    await createKey("dead letter");
    const [first] = await eventually(async () => {
      const d = await deliveriesOf(endpoint.id);
      expect(d[0]?.attempt_count === 1, "d[0]?.attempt_count === 1").toBe(true);
      return d;
    });
    for (let n = 2; n <= MAX_ATTEMPTS; n++) await attemptNow(first!.id);
    const detail = await delivery(first!.id);
    expect(detail).toMatchObject({ status: "dead", attempt_count: MAX_ATTEMPTS, next_attempt_at: null });
    const notes = await (await call("/v1/notifications", { token })).json<{
      data: { event_type: string; body: string }[];
    }>();
    expect(notes.data.find((n) => n.event_type === "webhook.delivery.dead")?.body).toContain(first!.event_id);

    // Manual retry: due again, succeeds once the receiver is fixed.
    await fetch(hook.url, { method: "PUT", body: JSON.stringify({ then_status: 204 }) });
    const retry = await post(`/v1/webhooks/deliveries/${first!.id}/retry`);
    expect(retry.status).toBe(202);
    const done = await eventually(async () => {
      const d = await delivery(first!.id);
      expect(d.status === "succeeded", 'd.status === "succeeded"').toBe(true);
      return d;
    });
    expect(done.attempt_count).toBe(MAX_ATTEMPTS + 1);
  });

  it("disables the endpoint on 410 Gone and announces it with webhook.endpoint.disabled", async () => {
    const hook = await receiver({ then_status: 410 });
    const endpoint = await register(hook.url, ["api_key.created"]);
    const watcher = await receiver();
    await register(watcher.url, ["webhook.endpoint.disabled"]);
    await createKey("gone");
    const state = await eventually(async () => {
      const e = await (await call(`/v1/webhooks/endpoints/${endpoint.id}`, { token })).json<{
        status: string;
        disabled_reason: string;
      }>();
      expect(e.status === "disabled", 'e.status === "disabled"').toBe(true);
      return e;
    });
    expect(state).toMatchObject({ status: "disabled", disabled_reason: "gone" });
    const announced = await eventually(async () => {
      const r = await received(watcher.name);
      expect(r.length > 0, "r.length > 0").toBe(true);
      return r;
    });
    expect(JSON.parse(announced[0]!.body)).toMatchObject({
      type: "webhook.endpoint.disabled",
      data: { endpoint_id: endpoint.id, reason: "gone" },
    });
  });

  it("signs with both secrets for 24 h after a rotation, and with the new one only when asked to end the old now", async () => {
    const hook = await receiver();
    const endpoint = await register(hook.url, ["invoice.created"]); // webhook.test reaches it whatever it subscribes to
    const rotated = await (await post(`/v1/webhooks/endpoints/${endpoint.id}/rotate-secret`, {})).json<{
      secret: string;
      previous_secret_expires_at: string;
    }>();
    expect(new Date(rotated.previous_secret_expires_at).getTime() - Date.now()).toBeGreaterThan(23.9 * 3600 * 1000);
    await fetch(hook.url, { method: "PUT", body: JSON.stringify({ secrets: [endpoint.secret, rotated.secret] }) });
    expect((await post(`/v1/webhooks/endpoints/${endpoint.id}/test`)).status).toBe(202);
    const [first] = await eventually(async () => {
      const r = await received(hook.name);
      expect(r.length > 0, "r.length > 0").toBe(true);
      return r;
    });
    expect(first!.headers["webhook-signature"]!.split(" ")).toHaveLength(2);
    expect(first!.verified_with).toEqual([0, 1]);

    const now = await (
      await post(`/v1/webhooks/endpoints/${endpoint.id}/rotate-secret`, { expire_previous_now: true })
    ).json<{ secret: string; previous_secret_expires_at: null }>();
    expect(now.previous_secret_expires_at).toBeNull();
    await fetch(hook.url, { method: "PUT", body: JSON.stringify({ secrets: [rotated.secret, now.secret] }) });
    await post(`/v1/webhooks/endpoints/${endpoint.id}/test`);
    const requests = await eventually(async () => {
      const r = await received(hook.name);
      expect(r.length > 1, "r.length > 1").toBe(true);
      return r;
    });
    expect(requests[1]!.verified_with).toEqual([1]);
    expect(requests[1]!.headers["webhook-signature"]!.split(" ")).toHaveLength(1);
  });

  it("recovers an endpoint: every failed or dead delivery since a time is sent again", async () => {
    const hook = await receiver({ then_status: 500 });
    const endpoint = await register(hook.url, ["api_key.created"]);
    const since = new Date().toISOString();
    await createKey("recover 1");
    await createKey("recover 2");
    await eventually(async () => {
      const d = await deliveriesOf(endpoint.id, "&status=failed");
      expect(d.length === 2, "d.length === 2").toBe(true);
      return d;
    });
    await fetch(hook.url, { method: "PUT", body: JSON.stringify({ then_status: 200 }) });
    const response = await post(`/v1/webhooks/endpoints/${endpoint.id}/recover`, { since });
    expect(response.status).toBe(202);
    expect(await response.json()).toEqual({ requeued: 2 });
    const log = await eventually(async () => {
      const d = await deliveriesOf(endpoint.id, "&status=succeeded");
      expect(d.length === 2, "d.length === 2").toBe(true);
      return d;
    });
    expect(log).toHaveLength(2);
  });
});

describe("retry schedule", () => {
  it("is 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h with ±20 % jitter, then nothing", () => {
    const bases = [5, 300, 1800, 7200, 18000, 36000, 36000];
    bases.forEach((base, i) => {
      expect(nextDelaySeconds(i + 1, null, () => 0)).toBeCloseTo(base * 0.8);
      expect(nextDelaySeconds(i + 1, null, () => 1)).toBeCloseTo(base * 1.2);
    });
    expect(nextDelaySeconds(8, null)).toBeNull();
    // Every delay fits one Queues message (≤ 12 h).
    expect(Math.max(...bases) * 1.2).toBeLessThanOrEqual(12 * 3600);
  });

  it("honours Retry-After (seconds or a date) when it is later than the schedule", () => {
    expect(nextDelaySeconds(1, 120, () => 0.5)).toBe(120);
    expect(nextDelaySeconds(3, 120, () => 0.5)).toBe(1800);
    expect(parseRetryAfter("30")).toBe(30);
    expect(parseRetryAfter(new Date(Date.now() + 60_000).toUTCString())).toBeGreaterThan(55);
    expect(parseRetryAfter("soon")).toBeNull();
  });
});
