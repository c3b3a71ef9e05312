// Exports that survive a crash (docs/exports-closure.md, "Resuming"): an export runs as queue
// messages, one bounded slice each, with its progress in the row. Interrupted mid-table (a slice
// that dies after writing R2 parts but before recording them), then left with no message at all,
// it is re-queued by the minute sweep and finishes with the same manifest as an export that ran
// straight through.
import { createScheduledController } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import type { ExportProgress } from "../../db/schema.ts";
import worker from "../../worker/index.ts";
import { runExportSlice } from "../../worker/customers/export-slices.ts";
import { PART_BYTES } from "../../worker/platform/object-writer.ts";
import { asOwner } from "../helpers/database.ts";
import { populateEveryTable } from "../helpers/every-table.ts";
import { send, type Schemas } from "../helpers/http.ts";
import { userToken } from "../helpers/identity.ts";
import { owner, sha256hex } from "../helpers/invites.ts";
import { createTenant, type TestTenant } from "../helpers/tenants.ts";
import { eventually } from "../helpers/wait.ts";

type Export = Schemas["Export"];
type Entry = { rows: number | null; bytes?: number; sha256?: string; withheld?: string };
type Row = { step: number; status: string; progress: ExportProgress | null; lease_until: string | null };

/** Enough usage events for more than one 5 MiB multipart part (a line is ~250 bytes). */
const USAGE_EVENTS = 30_000;
const SLICE_PAGES = 8;

// Rows the exports themselves change between the two runs: each export's own row, and the
// first export's ready notification and email (written after it finished, read by the second).
const CHANGED_BY_EXPORTING = ["customer_exports", "notifications", "email_messages"];

async function finished(token: string, id: string): Promise<Export> {
  return eventually(
    async () => {
      const response = await send("GET", `/v1/exports/${id}`, token);
      expect(response.status).toBe(200);
      const body = await response.json<Export>();
      if (body.status !== "succeeded") throw new Error(`export ${id} is ${body.status} ${body.error ?? ""}`);
      return body;
    },
    { timeoutMs: 120_000 },
  );
}

const exportRow = async (customerId: string, id: string): Promise<Row> =>
  (
    await owner<Row>(customerId, "SELECT step, status, progress, lease_until FROM customer_exports WHERE id = $1", [id])
  )[0]!;

let tenant: TestTenant;
let admin: { user: { email: string }; token: string };
let straight: Export;

beforeAll(async () => {
  tenant = await createTenant();
  await asOwner((client) => populateEveryTable(client, tenant.customerId, `exr${Date.now().toString(36)}`));
  await owner(
    tenant.customerId,
    `INSERT INTO usage_events (customer_id, event_id, metric, quantity, occurred_at)
     SELECT $1, 'bulk-' || s.i, 'api_calls', s.i % 7, now() - s.i * interval '1 second'
     FROM generate_series(1, $2::int) AS s(i)`,
    [tenant.customerId, USAGE_EVENTS],
  );
  admin = await userToken(tenant.customerId, "admin");
  const started = await send("POST", "/v1/exports", admin.token);
  expect(started.status, await started.clone().text()).toBe(202);
  straight = await finished(admin.token, (await started.json<Export>()).id);
}, 180_000);

describe("an export interrupted mid-way", () => {
  it("resumes after a crash mid-slice and a lost message, and matches an uninterrupted export", async () => {
    // Requested by the same admin as the first (a slice reads as the admin who asked).
    const [{ id }] = (await owner<{ id: string }>(
      tenant.customerId,
      `INSERT INTO customer_exports (customer_id, requested_by, jurisdiction)
       SELECT $1, requested_by, 'us' FROM customer_exports WHERE id = $2 RETURNING id`,
      [tenant.customerId, straight.id],
    )) as [{ id: string }];

    // Slices driven by hand (no message is queued for this export) until usage_events is half
    // written: its multipart upload has a part, its progress a key to continue after.
    let row = await exportRow(tenant.customerId, id);
    for (let i = 0; i < 60 && !(row.progress?.table === "usage_events" && row.progress.writer.parts.length > 0); i++) {
      const outcome = await runExportSlice(env, id, row.step, { pages: SLICE_PAGES });
      expect(outcome.kind).toBe("next");
      row = await exportRow(tenant.customerId, id);
    }
    expect(row.progress?.table).toBe("usage_events");
    expect(row.progress!.writer.uploadId).not.toBeNull();
    const before = row;

    // The next slice dies mid-table, after writing more of the object: nothing it did is recorded.
    await expect(runExportSlice(env, id, row.step, { pages: SLICE_PAGES, crashAfterPages: 1 })).rejects.toThrow(
      /injected crash/,
    );
    row = await exportRow(tenant.customerId, id);
    expect(row.step).toBe(before.step);
    expect(row.progress).toEqual(before.progress);
    expect(row.status).toBe("running");

    // The next one completes usage_events' object and dies on the table after it, before
    // recording either: R2 has the whole object, the row still the old progress.
    const left = Math.ceil((USAGE_EVENTS + 1 - before.progress!.rows) / 1000);
    await expect(runExportSlice(env, id, row.step, { pages: 100, crashAfterPages: left })).rejects.toThrow(
      /injected crash/,
    );
    row = await exportRow(tenant.customerId, id);
    expect(row.progress).toEqual(before.progress);
    const objectKey = `exports/${tenant.customerId}/${id}/usage_events.jsonl`;
    expect(await env.RECORDS_US.head(objectKey)).not.toBeNull();

    // A message for a step already recorded does nothing; one arriving while a live consumer holds
    // the lease is told to come back later.
    expect(await runExportSlice(env, id, row.step - 1)).toEqual({ kind: "stale" });
    await owner(
      tenant.customerId,
      "UPDATE customer_exports SET lease_until = now() + interval '1 hour' WHERE id = $1",
      [id],
    );
    expect(await runExportSlice(env, id, row.step)).toEqual({ kind: "busy" });

    // The consumer died holding the lease and its message is gone: once the lease has run out and
    // the export has been still for longer than the sweep waits, the minute sweep queues it again.
    await owner(
      tenant.customerId,
      "UPDATE customer_exports SET lease_until = now() - interval '1 second', updated_at = now() - interval '10 minutes' WHERE id = $1",
      [id],
    );
    await worker.scheduled(createScheduledController({ cron: "* * * * *", scheduledTime: Date.now() }), env);
    const resumed = await finished(admin.token, id);

    const a = (straight.manifest as { tables: Record<string, Entry> }).tables;
    const b = (resumed.manifest as { tables: Record<string, Entry> }).tables;
    expect(Object.keys(b).sort()).toEqual(Object.keys(a).sort());
    expect(a.usage_events!.rows).toBe(USAGE_EVENTS + 1);
    expect(a.usage_events!.bytes).toBeGreaterThan(PART_BYTES);
    for (const table of Object.keys(a)) {
      if (CHANGED_BY_EXPORTING.includes(table)) continue;
      expect({ rows: b[table]!.rows, sha256: b[table]!.sha256 }, table).toEqual({
        rows: a[table]!.rows,
        sha256: a[table]!.sha256,
      });
    }

    // The resumed object is whole: what the API serves hashes to the manifest, line for line.
    const file = await send("GET", `/v1/exports/${id}/download?file=usage_events.jsonl`, admin.token);
    expect(file.status).toBe(200);
    const text = await file.text();
    expect(await sha256hex(text)).toBe(b.usage_events!.sha256);
    expect(text.split("\n").filter(Boolean)).toHaveLength(USAGE_EVENTS + 1);
    // No carry object is left behind.
    const listed = await env.RECORDS_US.list({
      prefix: `exports/${tenant.customerId}/${id}/usage_events.jsonl.carry-`,
    });
    expect(listed.objects).toHaveLength(0);
  }, 240_000);
});
