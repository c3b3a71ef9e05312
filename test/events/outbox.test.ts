// The outbox: rows written with the change (no extra round trip), published after commit,
// re-published by the minute sweep when the send was lost, fanned out once per event id, and
// listed in the OpenAPI document's `webhooks`.
import {
  createExecutionContext,
  createMessageBatch,
  createScheduledController,
  getQueueResult,
  waitOnExecutionContext,
} from "cloudflare:test";
import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import worker from "../../worker/index.ts";
import { eventCatalogue } from "../../worker/events/catalogue.ts";
import type { QueueMessage } from "../../worker/events/messages.ts";
import { as, proxySettled } from "../helpers/database.ts";
import { userToken } from "../helpers/identity.ts";
import { received, receiver } from "../helpers/sink.ts";
import { eventually, expectNothingAfter } from "../helpers/wait.ts";
import type { Page, Schemas } from "../helpers/http.ts";
import { call, createTenant, type TestTenant } from "../helpers/tenants.ts";

let tenant: TestTenant;
let token: string;
beforeAll(async () => {
  tenant = await createTenant();
  token = (await userToken(tenant.customerId, "admin")).token;
});

const json = { "content-type": "application/json" };
const outboxRow = async (where: string, values: unknown[]) =>
  (
    await as("admin", (client) =>
      client.query(`SELECT id, type, payload, published_at, attempts FROM outbox_events WHERE ${where}`, values),
    )
  ).rows;

/** A queue that refuses every send: the producer's failure, injected at the binding. */
const brokenQueue = {
  send: () => Promise.reject(new Error("queue unavailable")),
  sendBatch: () => Promise.reject(new Error("queue unavailable")),
} as unknown as Queue<QueueMessage>;

describe("outbox", () => {
  it("writes the outbox and audit rows in the COMMIT's round trip: creating a key costs 3 round trips", async () => {
    const create = async (name: string) => {
      const before = await proxySettled();
      const response = await call("/v1/api-keys", {
        method: "POST",
        token,
        headers: json,
        body: JSON.stringify({ name, scopes: ["invoices:read"] }),
      });
      expect(response.status).toBe(201);
      const after = await proxySettled();
      return {
        trips: after.byUser.sb_api!.roundTrips - (before.byUser.sb_api?.roundTrips ?? 0),
        id: (await response.json<{ id: string }>()).id,
      };
    };
    await create("warm-up");
    const { trips, id } = await create("counted");
    // start + BEGIN + context; INSERT key; audit + outbox + COMMIT — the side rows add none.
    const rows = await outboxRow("payload->>'id' = $1", [id]);
    expect(rows.map((r) => r.type)).toEqual(["api_key.created"]);
    expect(trips).toBe(3);
  });

  it("publishes after commit: the consumer marks the row published once and fans it out", async () => {
    const hook = await receiver();
    const response = await call("/v1/webhooks/endpoints", {
      method: "POST",
      token,
      headers: json,
      body: JSON.stringify({ url: hook.url, event_types: ["api_key.revoked"] }),
    });
    expect(response.status).toBe(201);
    const key = await (
      await call("/v1/api-keys", {
        method: "POST",
        token,
        headers: json,
        body: JSON.stringify({ name: "x", scopes: ["invoices:read"] }),
      })
    ).json<{ id: string }>();
    await call(`/v1/api-keys/${key.id}`, { method: "DELETE", token });
    const [row] = await eventually(async () => {
      const r = await outboxRow("type = 'api_key.revoked' AND payload->>'id' = $1", [key.id]);
      expect(r[0]?.published_at != null, "r[0]?.published_at != null").toBe(true);
      return r;
    });
    expect(row!.published_at).not.toBeNull();
    await eventually(async () => {
      const r = await received(hook.name);
      expect(r.length === 1, "r.length === 1").toBe(true);
      return r;
    });

    // At-least-once in: the same message again changes nothing and sends nothing.
    const batch = createMessageBatch<QueueMessage>("securebase-events", [
      {
        id: "redelivered",
        timestamp: new Date(),
        attempts: 2,
        body: {
          id: row!.id as string,
          type: "api_key.revoked",
          customer_id: tenant.customerId,
          occurred_at: new Date().toISOString(),
          data: {},
        },
      },
    ]);
    const ctx = createExecutionContext();
    await worker.queue(batch, env);
    expect((await getQueueResult(batch, ctx)).explicitAcks).toEqual(["redelivered"]);
    // A later event to the same endpoint, delivered, shows the pipeline has moved past the
    // redelivery: by then a second send of the first event would have arrived too.
    const later = await (
      await call("/v1/api-keys", {
        method: "POST",
        token,
        headers: json,
        body: JSON.stringify({ name: "later", scopes: ["invoices:read"] }),
      })
    ).json<{ id: string }>();
    await call(`/v1/api-keys/${later.id}`, { method: "DELETE", token });
    const [laterRow] = await eventually(async () => {
      const rows = await outboxRow("type = 'api_key.revoked' AND payload->>'id' = $1", [later.id]);
      expect(rows[0]?.published_at).toBeTruthy();
      return rows;
    });
    await expectNothingAfter(
      async () => expect((await received(hook.name)).map((r) => r.headers["webhook-id"])).toContain(laterRow!.id),
      async () =>
        expect((await received(hook.name)).map((r) => r.headers["webhook-id"]).sort()).toEqual(
          [row!.id as string, laterRow!.id as string].sort(),
        ),
    );
  });

  it("EVENTS.send failing: the request still succeeds, and the minute sweep publishes the event later", async () => {
    const hook = await receiver();
    await call("/v1/webhooks/endpoints", {
      method: "POST",
      token,
      headers: json,
      body: JSON.stringify({ url: hook.url, event_types: ["api_key.created"] }),
    });
    const ctx = createExecutionContext();
    const request = new Request("https://api.securebase.test/v1/api-keys", {
      method: "POST",
      headers: { ...json, authorization: `Bearer ${token}` },
      body: JSON.stringify({ name: "lost send", scopes: ["invoices:read"] }),
    });
    const response = await worker.fetch(request, { ...env, EVENTS: brokenQueue }, ctx);
    await waitOnExecutionContext(ctx);
    expect(response.status).toBe(201);
    const { id } = await response.json<{ id: string }>();
    // waitOnExecutionContext: the request's background work has settled, so its failed send is
    // final; only the sweep publishes the row now (and no sweep runs in this isolated file).
    const [lost] = await outboxRow("payload->>'id' = $1", [id]);
    expect(lost).toMatchObject({ published_at: null, attempts: 0 });
    expect(await received(hook.name)).toHaveLength(0);

    // The sweep re-publishes rows older than 30 s: run it as if a minute had passed.
    const controller = createScheduledController({ scheduledTime: new Date(Date.now() + 60_000), cron: "* * * * *" });
    await worker.scheduled(controller, env);
    const [published] = await eventually(async () => {
      const r = await outboxRow("payload->>'id' = $1", [id]);
      expect(r[0]?.published_at != null, "r[0]?.published_at != null").toBe(true);
      return r;
    });
    expect(published!.attempts).toBeGreaterThanOrEqual(1);
    const requests = await eventually(async () => {
      const r = await received(hook.name);
      expect(r.length > 0, "r.length > 0").toBe(true);
      return r;
    });
    expect(requests).toHaveLength(1);
    expect(requests[0]!.headers["webhook-id"]).toBe(lost!.id);
  });

  it("a consumer failure mid-batch loses nothing and re-sends nothing that succeeded", async () => {
    const hook = await receiver();
    const endpoint = await (
      await call("/v1/webhooks/endpoints", {
        method: "POST",
        token,
        headers: json,
        body: JSON.stringify({ url: hook.url, event_types: ["invoice.created"] }),
      })
    ).json<{ id: string }>();
    // Three invoice.created events written the way the billing run writes them (jobs role).
    const ids = await as("admin", async (client) => {
      const out: string[] = [];
      for (let i = 0; i < 3; i++) {
        const { rows } = await client.query(
          "INSERT INTO outbox_events (customer_id, type, payload, published_at) VALUES ($1, 'invoice.created', $2, NULL) RETURNING id",
          [
            tenant.customerId,
            {
              id: crypto.randomUUID(),
              number: `SB-TEST-${i}`,
              period_start: "2026-10-01",
              period_end: "2026-11-01",
              total_cents: 1000 + i,
              currency: "usd",
            },
          ],
        );
        out.push(rows[0]!.id as string);
      }
      return out;
    });
    const messages = ids.map((id, i) => ({
      id: `mid-batch-${i}-${id}`,
      timestamp: new Date(),
      attempts: 1,
      body: {
        id,
        type: "invoice.created",
        customer_id: tenant.customerId,
        occurred_at: new Date().toISOString(),
        data: {},
      } as QueueMessage,
    }));
    // The database goes away mid-batch: every message is retried, nothing is acknowledged.
    const broken = { ...env, JOBS_DATABASE_URL: env.JOBS_DATABASE_URL.replace(/:[^:@/]+@/, ":wrong-password@") };
    const failing = createMessageBatch<QueueMessage>("securebase-events", messages);
    const ctx1 = createExecutionContext();
    await worker.queue(failing, broken);
    const result1 = await getQueueResult(failing, ctx1);
    expect(result1.explicitAcks).toEqual([]);
    expect(result1.retryMessages.map((m) => m.msgId).sort()).toEqual(messages.map((m) => m.id).sort());
    // The retry succeeds, and a second redelivery of the same batch does nothing.
    for (const attempt of [2, 3]) {
      const batch = createMessageBatch<QueueMessage>(
        "securebase-events",
        messages.map((m) => ({ ...m, attempts: attempt })),
      );
      const ctx = createExecutionContext();
      await worker.queue(batch, env);
      expect((await getQueueResult(batch, ctx)).explicitAcks.length).toBe(3);
    }
    await eventually(async () => {
      const r = await received(hook.name);
      expect(r.length >= 3, "r.length >= 3").toBe(true);
      return r;
    });
    // Every delivery recorded as succeeded after one attempt: a duplicate send would have been
    // recorded as a second attempt (or still be pending).
    await expectNothingAfter(
      async () => {
        const log = await (await call(`/v1/webhooks/endpoints/${endpoint.id}/deliveries`, { token })).json<
          Page<Schemas["WebhookDelivery"]>
        >();
        expect(log.data.map((d) => [d.status, d.attempt_count])).toEqual([
          ["succeeded", 1],
          ["succeeded", 1],
          ["succeeded", 1],
        ]);
      },
      async () =>
        expect((await received(hook.name)).map((r) => r.headers["webhook-id"]).sort()).toEqual([...ids].sort()),
    );
  });

  it("lists every catalogue event under the OpenAPI document's top-level webhooks, with its payload schema", async () => {
    const doc = await (await call("/openapi.json")).json<{
      webhooks: Record<string, { post: { requestBody: { content: Record<string, { schema: { $ref: string } }> } } }>;
      components: { schemas: Record<string, { properties: Record<string, unknown> }> };
    }>();
    expect(Object.keys(doc.webhooks).sort()).toEqual(Object.keys(eventCatalogue).sort());
    const ref = doc.webhooks["invoice.created"]!.post.requestBody.content["application/json"]!.schema.$ref;
    const envelope = doc.components.schemas[ref.split("/").pop()!]!;
    expect(Object.keys(envelope.properties)).toEqual(["id", "type", "timestamp", "data"]);
    expect(Object.keys(doc.components.schemas.InvoiceCreatedData!.properties)).toEqual([
      "id",
      "number",
      "period_start",
      "period_end",
      "total_cents",
      "currency",
    ]);
  });
});
