// Webhook delivery. The schedule lives in Postgres (webhook_deliveries.next_attempt_at), because
// retries span ~28 hours and a queue message can be delayed 12 h at most; queue messages only
// say "look at these now", and the minute sweep re-sends anything whose message was lost.
//
// An attempt claims its delivery first (next_attempt_at moves 60 s ahead, attempt_count + 1, in
// one UPDATE), so two consumers holding the same message never both send; a consumer that dies
// mid-attempt leaves a lease that expires and the sweep picks it up again.
//
// Rules: 15 s timeout; only 2xx is success (redirects are not followed: 3xx fails); 410 disables
// the endpoint; 429/503 push the next attempt to at least Retry-After; after the 8th failed
// attempt the delivery is `dead` and the customer is notified. Concurrency: at most
// ENDPOINT_CONCURRENCY (2) requests in flight per endpoint and INVOCATION_CONCURRENCY in all per
// invocation, so a slow receiver (up to 15 s per attempt) holds at most two lanes while the other
// endpoints' deliveries go on. Workers opens at most 6 connections at once per invocation and
// queues the rest, so the overall cap mostly bounds memory; the per-endpoint cap is the fairness.
import { and, eq, inArray, isNotNull, isNull, lte, or, sql } from "drizzle-orm";
import { outboxEvents, webhookDeliveries, webhookEndpoints } from "../../db/schema.ts";
import type { Env } from "../env.ts";
import { sendAll, workMessages } from "../events/messages.ts";
import { outboxRow, publish, toMessage } from "../events/outbox.ts";
import { notify, type Notice } from "../notifications/notify.ts";
import { withJobsDatabase, type Database } from "../platform/database.ts";
import { signingSecrets } from "./endpoints.ts";
import { webhookHeaders } from "./signing.ts";
import { checkEndpointUrl, isLocalEnvironment } from "./url-policy.ts";
import { safeError } from "../platform/log-safe.ts";

/** Delay after failed attempt n (1-based); after the 8th there is none: the delivery is dead. */
export const RETRY_DELAYS_SECONDS = [5, 300, 1800, 7200, 18_000, 36_000, 36_000] as const;
export const MAX_ATTEMPTS = RETRY_DELAYS_SECONDS.length + 1;
export const JITTER = 0.2;
export const ATTEMPT_TIMEOUT_MS = 15_000;
export const CLAIM_LEASE_SECONDS = 60;
export const ENDPOINT_CONCURRENCY = 2;
export const INVOCATION_CONCURRENCY = 50;
/** Longest Retry-After honoured (a receiver cannot park a delivery for longer). */
export const MAX_RETRY_AFTER_SECONDS = 24 * 3600;

/** Seconds until the next attempt after attempt `n` failed, or null when it was the last. */
export function nextDelaySeconds(
  n: number,
  retryAfterSeconds: number | null,
  random: () => number = Math.random,
): number | null {
  const base = RETRY_DELAYS_SECONDS[n - 1];
  if (base === undefined) return null;
  const jittered = base * (1 - JITTER + 2 * JITTER * random());
  return Math.max(jittered, Math.min(retryAfterSeconds ?? 0, MAX_RETRY_AFTER_SECONDS));
}

/** Retry-After as seconds (delta-seconds or an HTTP date), or null. */
export function parseRetryAfter(value: string | null, now = Date.now()): number | null {
  if (!value) return null;
  if (/^\d+$/.test(value.trim())) return Number(value.trim());
  const at = Date.parse(value);
  return Number.isNaN(at) ? null : Math.max(0, Math.ceil((at - now) / 1000));
}

type Claimed = Awaited<ReturnType<typeof claim>>[number];
interface Outcome {
  delivery: Claimed;
  statusCode: number | null;
  latencyMs: number;
  excerpt: string | null;
  error: string | null;
  retryAfter: number | null;
}

function claim(db: Database, ids: string[]) {
  return db
    .update(webhookDeliveries)
    .set({
      attemptCount: sql`${webhookDeliveries.attemptCount} + 1`,
      nextAttemptAt: sql`now() + make_interval(secs => ${CLAIM_LEASE_SECONDS})`,
      updatedAt: sql`now()`,
    })
    .from(webhookEndpoints)
    .where(
      and(
        inArray(webhookDeliveries.id, ids),
        inArray(webhookDeliveries.status, ["pending", "failed"]),
        lte(webhookDeliveries.nextAttemptAt, sql`now()`),
        eq(webhookEndpoints.customerId, webhookDeliveries.customerId),
        eq(webhookEndpoints.id, webhookDeliveries.endpointId),
        or(eq(webhookEndpoints.status, "enabled"), eq(webhookDeliveries.eventType, "webhook.test")),
      ),
    )
    .returning({
      id: webhookDeliveries.id,
      customerId: webhookDeliveries.customerId,
      endpointId: webhookDeliveries.endpointId,
      eventId: webhookDeliveries.eventId,
      eventType: webhookDeliveries.eventType,
      payload: webhookDeliveries.payload,
      attemptNumber: webhookDeliveries.attemptCount,
      url: webhookEndpoints.url,
      secretCiphertext: webhookEndpoints.secretCiphertext,
      previousSecretCiphertext: webhookEndpoints.previousSecretCiphertext,
      previousSecretExpiresAt: webhookEndpoints.previousSecretExpiresAt,
      failingSince: webhookEndpoints.failingSince,
    });
}

async function attempt(env: Env, delivery: Claimed): Promise<Outcome> {
  const started = Date.now();
  const failed = (error: string): Outcome => ({
    delivery,
    statusCode: null,
    latencyMs: Date.now() - started,
    excerpt: null,
    error,
    retryAfter: null,
  });
  try {
    if (!isLocalEnvironment(env)) {
      const verdict = await checkEndpointUrl(env, delivery.url);
      if (!verdict.ok) return failed(`refused before sending: the URL ${verdict.message}`);
    }
    const body = JSON.stringify(delivery.payload);
    const secrets = await signingSecrets(env.DATA_ENCRYPTION_KEY, delivery);
    const headers = await webhookHeaders(secrets, delivery.eventId, Math.floor(Date.now() / 1000), body);
    const response = await fetch(delivery.url, {
      method: "POST",
      headers,
      body,
      redirect: "manual",
      signal: AbortSignal.timeout(ATTEMPT_TIMEOUT_MS),
    });
    // The body is never read or stored: a stored excerpt would turn a blind SSRF into a readable
    // one (docs/security.md). Status and latency are what the delivery log keeps.
    await response.body?.cancel().catch(() => undefined);
    const excerpt = null;
    return {
      delivery,
      statusCode: response.status,
      latencyMs: Date.now() - started,
      excerpt,
      error: response.status >= 200 && response.status < 300 ? null : `HTTP ${response.status}`,
      retryAfter:
        response.status === 429 || response.status === 503
          ? parseRetryAfter(response.headers.get("retry-after"))
          : null,
    };
  } catch (error) {
    const timedOut = error instanceof Error && (error.name === "TimeoutError" || error.name === "AbortError");
    return failed(
      timedOut
        ? `timed out after ${ATTEMPT_TIMEOUT_MS / 1000} s`
        : error instanceof Error
          ? error.message
          : String(error),
    );
  }
}

/** Runs `work` over items with a cap per key and an overall cap. */
async function capped<T, R>(
  items: T[],
  keyOf: (item: T) => string,
  perKey: number,
  total: number,
  work: (item: T) => Promise<R>,
): Promise<R[]> {
  const queues = new Map<string, T[]>();
  for (const item of items) queues.set(keyOf(item), [...(queues.get(keyOf(item)) ?? []), item]);
  const results: R[] = [];
  const lanes = [...queues.values()].flatMap((queue) => {
    // Each key gets up to `perKey` lanes draining its own queue.
    return Array.from({ length: Math.min(perKey, queue.length) }, () => queue);
  });
  let running = 0;
  const waiting: (() => void)[] = [];
  const slot = async () => {
    if (running >= total) await new Promise<void>((resolve) => waiting.push(resolve));
    running++;
  };
  const release = () => {
    running--;
    waiting.shift()?.();
  };
  await Promise.all(
    lanes.map(async (queue) => {
      for (let item = queue.shift(); item !== undefined; item = queue.shift()) {
        await slot();
        try {
          results.push(await work(item));
        } finally {
          release();
        }
      }
    }),
  );
  return results;
}

export interface DeliveryRunSummary {
  attempted: number;
  succeeded: number;
  failed: number;
  dead: number;
}

/** Attempts the given deliveries that are due; records every attempt and schedules the next. */
export async function deliverWebhooks(env: Env, ids: string[]): Promise<DeliveryRunSummary> {
  if (ids.length === 0) return { attempted: 0, succeeded: 0, failed: 0, dead: 0 };
  const claimed = await withJobsDatabase(env, (db) => claim(db, ids));
  if (claimed.length === 0) return { attempted: 0, succeeded: 0, failed: 0, dead: 0 };
  const outcomes = await capped(
    claimed,
    (d) => d.endpointId,
    ENDPOINT_CONCURRENCY,
    INVOCATION_CONCURRENCY,
    (d) => attempt(env, d),
  );
  return record(env, outcomes);
}

async function record(env: Env, outcomes: Outcome[]): Promise<DeliveryRunSummary> {
  const now = Date.now();
  const plan = outcomes.map((o) => {
    const ok = o.error === null;
    const gone = o.statusCode === 410;
    const delay = ok || gone ? null : nextDelaySeconds(o.delivery.attemptNumber, o.retryAfter);
    const status = ok ? "succeeded" : gone ? "failed" : delay === null ? "dead" : "failed";
    return {
      ...o,
      ok,
      gone,
      delay,
      status,
      nextAttemptAt: delay === null ? null : new Date(now + delay * 1000).toISOString(),
    };
  });
  const succeededEndpoints = [...new Set(plan.filter((p) => p.ok).map((p) => p.delivery.endpointId))];
  const failingEndpoints = [...new Set(plan.filter((p) => !p.ok).map((p) => p.delivery.endpointId))].filter(
    (id) => !succeededEndpoints.includes(id),
  );
  const goneEndpoints = [...new Set(plan.filter((p) => p.gone).map((p) => p.delivery.endpointId))];

  const published = await withJobsDatabase(env, async (db) => {
    const attempts = plan.map((p) => ({
      customer_id: p.delivery.customerId,
      delivery_id: p.delivery.id,
      attempt_number: p.delivery.attemptNumber,
      status_code: p.statusCode,
      latency_ms: p.latencyMs,
      response_excerpt: p.excerpt,
      error: p.error?.slice(0, 1000) ?? null,
      status: p.status,
      next_attempt_at: p.nextAttemptAt,
    }));
    const json = JSON.stringify(attempts);
    // One statement records every attempt and moves every delivery to its next state.
    await db.execute(sql`
      WITH v AS (
        SELECT * FROM jsonb_to_recordset(${json}::jsonb) AS v(customer_id uuid, delivery_id uuid, attempt_number int,
          status_code int, latency_ms int, response_excerpt text, error text, status text, next_attempt_at timestamptz)
      ), attempts AS (
        -- The join skips deliveries deleted meanwhile (their endpoint was deleted mid-attempt).
        INSERT INTO webhook_delivery_attempts (customer_id, delivery_id, attempt_number, status_code, latency_ms, response_excerpt, error)
        SELECT v.customer_id, v.delivery_id, v.attempt_number, v.status_code, v.latency_ms, v.response_excerpt, v.error
        FROM v JOIN webhook_deliveries d ON d.id = v.delivery_id
        ON CONFLICT (delivery_id, attempt_number) DO NOTHING
      )
      UPDATE webhook_deliveries d SET status = v.status, next_attempt_at = v.next_attempt_at, last_status_code = v.status_code, updated_at = now()
      FROM v WHERE d.id = v.delivery_id`);
    if (succeededEndpoints.length) {
      await db
        .update(webhookEndpoints)
        .set({ failingSince: null, failureWarningSentAt: null })
        .where(and(inArray(webhookEndpoints.id, succeededEndpoints), isNotNull(webhookEndpoints.failingSince)));
    }
    if (failingEndpoints.length) {
      await db
        .update(webhookEndpoints)
        .set({ failingSince: sql`now()` })
        .where(and(inArray(webhookEndpoints.id, failingEndpoints), isNull(webhookEndpoints.failingSince)));
    }
    const notices: Notice[] = plan
      .filter((p) => p.status === "dead")
      .map((p) => ({
        customerId: p.delivery.customerId,
        type: "webhook.delivery.dead",
        eventId: null,
        data: {
          delivery_id: p.delivery.id,
          event_id: p.delivery.eventId,
          event_type: p.delivery.eventType,
          url: p.delivery.url,
          attempts: p.delivery.attemptNumber,
        },
      }));
    const disabled = goneEndpoints.length ? await disableEndpoints(db, goneEndpoints, "gone") : [];
    await notify(db, notices);
    return disabled;
  });
  if (published.length) await publish(env.EVENTS, published);
  const retries = plan.filter((p) => p.delay !== null);
  await sendAll(
    env.EVENTS,
    retries.flatMap((p) => workMessages("webhook_deliveries", [p.delivery.id], p.delay!)),
  ).catch((error) =>
    console.error(`scheduling webhook retries failed; the sweep will pick them up: ${safeError(error)}`),
  );
  return {
    attempted: plan.length,
    succeeded: plan.filter((p) => p.ok).length,
    failed: plan.filter((p) => p.status === "failed").length,
    dead: plan.filter((p) => p.status === "dead").length,
  };
}

/**
 * Disables endpoints (410 Gone, or failing for 5 days): the endpoint stops, its waiting
 * deliveries stop being attempted (recover re-sends them), a `webhook.endpoint.disabled` event
 * is written to the outbox and a system audit event recorded. Returns the events to publish.
 */
export async function disableEndpoints(db: Database, ids: string[], reason: "gone" | "failing") {
  const disabled = await db
    .update(webhookEndpoints)
    .set({ status: "disabled", disabledReason: reason, updatedAt: sql`now()` })
    .where(and(inArray(webhookEndpoints.id, ids), eq(webhookEndpoints.status, "enabled")))
    .returning();
  if (disabled.length === 0) return [];
  await db
    .update(webhookDeliveries)
    .set({ status: "failed", nextAttemptAt: null, updatedAt: sql`now()` })
    .where(
      and(
        inArray(
          webhookDeliveries.endpointId,
          disabled.map((e) => e.id),
        ),
        inArray(webhookDeliveries.status, ["pending", "failed"]),
      ),
    );
  const rows = disabled.map((e) =>
    outboxRow(e.customerId, "webhook.endpoint.disabled", {
      endpoint_id: e.id,
      url: e.url,
      reason,
      failing_since: e.failingSince?.toISOString() ?? null,
    }),
  );
  const inserted = await db.insert(outboxEvents).values(rows).returning();
  await db.execute(sql`
    INSERT INTO audit_events (customer_id, actor_type, actor_id, action, resource_type, resource_id, summary, data, seq, prev_hash, hash)
    SELECT (e->>'customer_id')::uuid, 'system', 'webhook-delivery', 'webhook_endpoint.disabled', 'webhook_endpoint', e->>'id',
           e->>'summary', jsonb_build_object('reason', ${reason}::text), 0, '\\x'::bytea, '\\x'::bytea
    FROM jsonb_array_elements(${JSON.stringify(
      disabled.map((e) => ({
        customer_id: e.customerId,
        id: e.id,
        summary: `Webhook endpoint ${e.url} disabled automatically (${reason})`,
      })),
    )}::jsonb) AS e`);
  return inserted.map(toMessage);
}
