// `npm run bench -- archive` (or node dev/bench/archive.ts): one customer with
// BENCH_ARCHIVE_EVENTS audit events (default 1,000,000) spread over 30 days past the hot window
// and BENCH_ARCHIVE_USAGE usage events (default 100,000). First the customer's data export
// (POST /v1/exports: queue messages, one slice each, docs/exports-closure.md), then the archive
// to local R2 by the real daily job (the Cron handler through /__scheduled), then the audit
// export (GET /v1/audit-events/export, jsonl) and verify (POST /v1/audit-events/verify).
// Reports times, job invocations, and the workerd process's peak RSS (VmHWM) — the memory
// one can observe locally (docs/audit-retention.md).
import { readdirSync, readFileSync } from "node:fs";
import { createApiKey, createCustomer, asCustomer } from "../fixtures.ts";
import { startLocalWorker } from "../local-worker.ts";

const EVENTS = Number(process.env.BENCH_ARCHIVE_EVENTS ?? 1_000_000);
const USAGE = Number(process.env.BENCH_ARCHIVE_USAGE ?? 100_000);
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

const mb = (kb: number) => (kb / 1024).toFixed(0);

/** POST /v1/exports as the customer's admin, then poll until it ends: time, slices (queue messages), rows. */
async function benchCustomerExport(
  local: Awaited<ReturnType<typeof startLocalWorker>>,
  customerId: string,
  password: string,
): Promise<string> {
  const login = await local.worker.fetch("/v1/auth/login", {
    method: "POST",
    headers: { "content-type": "application/json", "cf-connecting-ip": "203.0.113.9" },
    body: JSON.stringify({ email: "archive-bench-admin@example.com", password }),
  });
  if (login.status !== 200) throw new Error(`bench admin login: ${login.status} ${await login.text()}`);
  const token = ((await login.json()) as { session_token: string }).session_token;
  const headers = { authorization: `Bearer ${token}` };
  const start = performance.now();
  const created = await local.worker.fetch("/v1/exports", { method: "POST", headers });
  if (created.status !== 202) throw new Error(`POST /v1/exports: ${created.status} ${await created.text()}`);
  const { id } = (await created.json()) as { id: string };
  type Status = {
    status: string;
    error: string | null;
    manifest: { tables: Record<string, { rows: number; bytes: number }> };
  };
  let body: Status;
  // Bounded: a stalled export (no sweep runs in this bench) is reported, not waited on forever.
  const deadline = Date.now() + Number(process.env.BENCH_EXPORT_TIMEOUT_SECONDS ?? 1800) * 1000;
  for (;;) {
    await new Promise((resolve) => setTimeout(resolve, 1000));
    body = (await (await local.worker.fetch(`/v1/exports/${id}`, { headers })).json()) as Status;
    if (body.status === "succeeded" || body.status === "failed" || Date.now() > deadline) break;
  }
  const seconds = (performance.now() - start) / 1000;
  const { rows } = await local.asOwner((client) =>
    asCustomer(client, customerId, () => client.query("SELECT step FROM customer_exports WHERE id = $1", [id])),
  );
  const slices = (rows[0] as { step: number }).step;
  if (body.status !== "succeeded")
    return `${body.status} after ${seconds.toFixed(1)} s, ${slices} slices: ${body.error}`;
  const tables = Object.values(body.manifest.tables).filter((t) => typeof t.rows === "number");
  const total = tables.reduce((sum, t) => sum + t.rows, 0);
  const bytes = tables.reduce((sum, t) => sum + t.bytes, 0);
  const audit = body.manifest.tables.audit_events!;
  const usage = body.manifest.tables.usage_events!;
  return (
    `${seconds.toFixed(1)} s, ${slices} slices (queue messages), ${total.toLocaleString("en-US")} rows, ` +
    `${(bytes / 1048576).toFixed(1)} MiB; audit_events ${audit.rows.toLocaleString("en-US")} rows ` +
    `${(audit.bytes / 1048576).toFixed(1)} MiB, usage_events ${usage.rows.toLocaleString("en-US")} rows ` +
    `${(usage.bytes / 1048576).toFixed(1)} MiB`
  );
}

export async function benchArchive(): Promise<string> {
  const local = await startLocalWorker({ testScheduled: true });
  try {
    const { hashPassword } = await import("../../worker/auth/passwords.ts");
    const adminPassword = `bench-${crypto.randomUUID()}`;
    const adminHash = await hashPassword(adminPassword);
    const { customerId, key } = await local.asOwner(async (client) => {
      const id = await createCustomer(client, {
        name: "Archive Bench",
        email: "archive-bench@example.com",
        tier: "healthcare",
        mfaRequired: false,
      });
      const created = await createApiKey(client, id, { scopes: ["audit:read"] });
      await asCustomer(client, id, () =>
        client.query(
          `INSERT INTO users (customer_id, email, name, role, password_hash)
           VALUES ($1, 'archive-bench-admin@example.com', 'Bench Admin', 'admin', $2)`,
          [id, adminHash],
        ),
      );
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
    for (let start = 0; start < USAGE; start += 20_000) {
      await local.asOwner((client) =>
        asCustomer(client, customerId, () =>
          client.query(
            `INSERT INTO usage_events (customer_id, event_id, metric, quantity, occurred_at)
             SELECT $1, 'bench-' || s.i, 'api_calls', s.i % 7, now() - s.i * interval '1 second'
             FROM generate_series($2::int, least($2::int + 20000, $3::int) - 1) AS s(i)`,
            [customerId, start, USAGE],
          ),
        ),
      );
    }
    const seedSeconds = (performance.now() - seedStart) / 1000;
    console.error(`seeded in ${seedSeconds.toFixed(1)} s; exporting`);
    const before = workerdMemory();

    // The customer's data export, before the archive moves the audit events out of Postgres.
    const customerExport = await benchCustomerExport(local, customerId, adminPassword);
    const afterExport = workerdMemory();
    console.error(`customer export: ${customerExport}; archiving`);

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
    // A refused verify (a problem document) is reported as such, not as "valid=undefined".
    if (verify.status !== 200) throw new Error(`verify answered ${verify.status}: ${await verify.text()}`);
    const verdict = (await verify.json()) as { valid: boolean; checked: number };
    const verifySeconds = (performance.now() - verifyStart) / 1000;
    const peak = workerdMemory();

    return [
      `### Audit archive: ${EVENTS.toLocaleString("en-US")} events, one customer, ${DAYS} days`,
      "",
      "| step | result |",
      "| --- | --- |",
      `| seed (SQL: audit events with the chain trigger, ${USAGE.toLocaleString("en-US")} usage events) | ${seedSeconds.toFixed(1)} s |`,
      `| customer export (POST /v1/exports → succeeded) | ${customerExport} |`,
      `| workerd RSS before / after customer export (VmHWM so far) | ${mb(before.rssKb)} / ${mb(afterExport.rssKb)} (${mb(afterExport.peakKb)}) MB |`,
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
