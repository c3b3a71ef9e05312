import { createExecutionContext, createMessageBatch, getQueueResult } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { eventually } from "../helpers/wait.ts";
import worker from "../../worker/index.ts";
import { newEvent, type EventMessage } from "../../worker/events/messages.ts";
import { asOwner } from "../helpers/database.ts";
import { call, createTenant, type TestTenant } from "../helpers/tenants.ts";

async function receiptsFor(
  customerId: string,
): Promise<{ message_id: string; event_type: string; attempts: number }[]> {
  return asOwner(async (client) => {
    const { rows } = await client.query(
      "SELECT message_id, event_type, attempts FROM queue_receipts WHERE body->>'customer_id' = $1 ORDER BY received_at",
      [customerId],
    );
    return rows as { message_id: string; event_type: string; attempts: number }[];
  });
}

let tenant: TestTenant;
beforeAll(async () => {
  tenant = await createTenant();
});

describe("EVENTS queue", () => {
  it("carries an event from the API's producer through Queues to the consumer, which records it", async () => {
    const response = await call("/v1/auth/token", { method: "POST", token: tenant.key });
    expect(response.status).toBe(200);
    const receipts = await eventually(async () => {
      const rows = await receiptsFor(tenant.customerId);
      expect(rows).toHaveLength(1);
      return rows;
    });
    expect(receipts[0]).toMatchObject({ event_type: "auth.session_token.issued", attempts: 1 });
  });

  it("records a redelivered message once and acknowledges every message", async () => {
    const other = await createTenant();
    const event = newEvent("test.delivered", other.customerId, { n: 1 });
    for (const attempts of [1, 2]) {
      const batch = createMessageBatch<EventMessage>("securebase-events", [
        { id: "msg-redelivered-1", timestamp: new Date(), attempts, body: event },
      ]);
      const ctx = createExecutionContext();
      await worker.queue(batch, env);
      const result = await getQueueResult(batch, ctx);
      expect(result.explicitAcks).toEqual(["msg-redelivered-1"]);
    }
    const receipts = await receiptsFor(other.customerId);
    expect(receipts).toEqual([{ message_id: "msg-redelivered-1", event_type: "test.delivered", attempts: 2 }]);
  });

  it("acknowledges and drops a malformed message instead of retrying it forever", async () => {
    const batch = createMessageBatch<EventMessage>("securebase-events", [
      { id: "msg-malformed", timestamp: new Date(), attempts: 1, body: { nonsense: true } as unknown as EventMessage },
    ]);
    const ctx = createExecutionContext();
    await worker.queue(batch, env);
    const result = await getQueueResult(batch, ctx);
    expect(result.explicitAcks).toEqual(["msg-malformed"]);
    expect(result.retryMessages).toEqual([]);
    const { rows } = await asOwner((client) =>
      client.query("SELECT 1 FROM queue_receipts WHERE message_id = 'msg-malformed'"),
    );
    expect(rows).toEqual([]);
  });

  it("retries the batch when the database write fails", async () => {
    const broken = { ...env, JOBS_DATABASE_URL: env.JOBS_DATABASE_URL.replace(/:[^:@/]+@/, ":wrong-password@") };
    const batch = createMessageBatch<EventMessage>("securebase-events", [
      { id: "msg-retry", timestamp: new Date(), attempts: 1, body: newEvent("test.retry", tenant.customerId, {}) },
    ]);
    const ctx = createExecutionContext();
    await worker.queue(batch, broken);
    const result = await getQueueResult(batch, ctx);
    expect(result.retryMessages.map((m) => m.msgId)).toEqual(["msg-retry"]);
    expect(result.explicitAcks).toEqual([]);
  });
});
