// `npm run bench -- archive` (or node dev/bench/archive.ts): one customer with
// BENCH_ARCHIVE_EVENTS audit events (default 1,000,000) spread over 30 days past the hot window,
// archived to local R2 by the real daily job (the Cron handler through /__scheduled) and then
// exported (GET /v1/audit-events/export, jsonl) and verified (POST /v1/audit-events/verify).
// Reports times, job invocations, and the workerd process's peak RSS (VmHWM) — the memory
// one can observe locally (docs/audit-retention.md).
import { readdirSync, readFileSync } from "node:fs";
import { createApiKey, createCustomer, asCustomer } from "../fixtures.ts";
import { startLocalWorker } from "../local-worker.ts";

const EVENTS = Number(process.env.BENCH_ARCHIVE_EVENTS ?? 1_000_000);
const DAYS = 30;
const SEED_BATCH = 2_000;

/** Parent pid of a process, from /proc. */
function parentOf(pid: string): string | undefined {
  try {
    return /^PPid:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1];
  } catch {
    return undefined;
  }
}

/** Resident memory (kB) of this bench's own workerd processes (other users' are left out): now and peak. */
function workerdMemory(): { rssKb: number; peakKb: number } {
  let rssKb = 0;
  let peakKb = 0;
  const self = String(process.pid);
  for (const pid of readdirSync("/proc").filter((name) => /^\d+$/.test(name))) {
    try {
      const status = readFileSync(`/proc/${pid}/status`, "utf8");
      if (!/^Name:\s+workerd/m.test(status)) continue;
      let ancestor = parentOf(pid);
      while (ancestor && ancestor !== "1" && ancestor !== self) ancestor = parentOf(ancestor);
      if (ancestor !== self) continue;
      rssKb += Number(/^VmRSS:\s+(\d+)/m.exec(status)?.[1] ?? 0);
      peakKb += Number(/^VmHWM:\s+(\d+)/m.exec(status)?.[1] ?? 0);
    } catch {
      // the process ended while we looked
    }
  }
  return { rssKb, peakKb };
}

export async function benchArchive(): Promise<string> {
  const local = await startLocalWorker({ testScheduled: true });
  try {
    const { customerId, key } = await local.asOwner(async (client) => {
      const id = await createCustomer(client, {
        name: "Archive Bench",
        email: "archive-bench@example.com",
        tier: "healthcare",
        mfaRequired: false,
      });
      const created = await createApiKey(client, id, { scopes: ["audit:read"] });
      return { customerId: id, key: created.key };
    });
    const seedStart = performance.now();
    // In batches: one statement updating the chain head 100,000 times walks an ever longer
    // version chain of that row; committed batches keep the seed linear.
    for (let start = 0; start < EVENTS; start += SEED_BATCH) {
      await local.asOwner((client) =>
        asCustomer(client, customerId, () =>
          client.query(
            `INSERT INTO audit_events (customer_id, occurred_at, actor_type, actor_id, action, resource_type, resource_id, summary, data, ip, user_agent)
             SELECT $1, (date_trunc('day', now() AT TIME ZONE 'UTC') AT TIME ZONE 'UTC') - interval '150 days'
                      + (s.i * ($3::float8 / $2)) * interval '1 day',
                    'user', 'u-' || (s.i % 50), 'user.logged_in', 'user_session', md5(s.i::text),
                    'user ' || (s.i % 50) || ' logged in', jsonb_build_object('n', s.i, 'mfa', s.i % 2 = 0),
                    '203.0.113.7', 'Mozilla/5.0 (bench)'
             FROM generate_series($4::int, least($4::int + $5::int, $2::int) - 1) AS s(i) ORDER BY s.i`,
            [customerId, EVENTS, DAYS, start, SEED_BATCH],
          ),
        ),
      );
    }
    const seedSeconds = (performance.now() - seedStart) / 1000;
    const before = workerdMemory();

    let invocations = 0;
    const archiveStart = performance.now();
    for (;;) {
      invocations += 1;
      const response = await local.worker.fetch(`/__scheduled?cron=${encodeURIComponent("15 2 * * *")}`);
      await response.text();
      const { rows } = await local.asOwner((client) =>
        asCustomer(client, customerId, () =>
          client.query("SELECT count(*)::int AS n FROM audit_events WHERE occurred_at < now() - interval '90 days'"),
        ),
      );
      if ((rows[0] as { n: number }).n === 0 || invocations >= 20) break;
    }
    const archiveSeconds = (performance.now() - archiveStart) / 1000;
    const { rows: objects } = await local.asOwner((client) =>
      asCustomer(client, customerId, () =>
        client.query(
          "SELECT count(*)::int AS n, sum(bytes)::bigint AS bytes, sum(event_count)::bigint AS events FROM audit_archives",
        ),
      ),
    );
    const archived = objects[0] as { n: number; bytes: string; events: string };
    const afterArchive = workerdMemory();

    const exportStart = performance.now();
    const from = new Date(Date.now() - 400 * 86_400_000).toISOString();
    const to = new Date(Date.now() + 86_400_000).toISOString();
    const response = await local.worker.fetch(`/v1/audit-events/export?from=${from}&to=${to}&format=jsonl`, {
      headers: { authorization: `Bearer ${key}` },
    });
    let bytes = 0;
    let lines = 0;
    const reader = (response.body as ReadableStream<Uint8Array>).getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      bytes += value.byteLength;
      for (const b of value) if (b === 10) lines += 1;
    }
    const exportSeconds = (performance.now() - exportStart) / 1000;

    const verifyStart = performance.now();
    const verify = await local.worker.fetch("/v1/audit-events/verify", {
      method: "POST",
      headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
      body: JSON.stringify({ from, to }),
    });
    const verdict = (await verify.json()) as { valid: boolean; checked: number };
    const verifySeconds = (performance.now() - verifyStart) / 1000;
    const peak = workerdMemory();

    const mb = (kb: number) => (kb / 1024).toFixed(0);
    return [
      `### Audit archive: ${EVENTS.toLocaleString("en-US")} events, one customer, ${DAYS} days`,
      "",
      "| step | result |",
      "| --- | --- |",
      `| seed (SQL, chain trigger) | ${seedSeconds.toFixed(1)} s |`,
      `| archive job | ${archiveSeconds.toFixed(1)} s, ${invocations} invocation(s), ${archived.n} objects, ${Number(archived.events).toLocaleString("en-US")} events, ${(Number(archived.bytes) / 1048576).toFixed(1)} MiB gzip |`,
      `| export jsonl (stream) | ${exportSeconds.toFixed(1)} s, ${lines.toLocaleString("en-US")} lines, ${(bytes / 1048576).toFixed(1)} MiB, HTTP ${response.status} |`,
      `| verify period | ${verifySeconds.toFixed(1)} s, valid=${verdict.valid}, checked=${verdict.checked} |`,
      `| workerd RSS before / after archive / peak (VmHWM) | ${mb(before.rssKb)} / ${mb(afterArchive.rssKb)} / ${mb(peak.peakKb)} MB |`,
    ].join("\n");
  } finally {
    await local.stop();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) console.log(await benchArchive());
