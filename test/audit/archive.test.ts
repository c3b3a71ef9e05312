// The audit archive (docs/audit-retention.md): the daily job moves events past the hot window to
// R2 and keeps the rest; export and verify read a period across both stores in chain order; a
// tampered archived line is named by verify; retention deletes expired objects unless a legal
// hold (set and lifted by staff, audited) keeps them; tenants and permissions are enforced.
import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { asCustomer } from "../../dev/fixtures.ts";
import { archiveAuditEvents } from "../../worker/audit/archive.ts";
import { asOwner } from "../helpers/database.ts";
import { call, expectProblem, send } from "../helpers/http.ts";
import { staffToken, userToken } from "../helpers/identity.ts";
import { createTenant, type TestTenant } from "../helpers/tenants.ts";

const DAY = 86_400_000;
const iso = (msAgo: number) => new Date(Date.now() - msAgo).toISOString();

/** `count` events starting `daysAgo` UTC days back at 01:00, `perDay` per day, in chain order. */
async function insertEvents(customerId: string, daysAgo: number, count: number, perDay: number): Promise<void> {
  await asOwner((client) =>
    asCustomer(client, customerId, () =>
      client.query(
        `INSERT INTO audit_events (customer_id, occurred_at, actor_type, action, resource_type, resource_id, summary, data)
         SELECT $1, (date_trunc('day', now() AT TIME ZONE 'UTC') AT TIME ZONE 'UTC') - make_interval(days => $2)
                  + interval '1 hour' + (s.i / $4::int) * interval '1 day' + s.i * interval '1 second',
                'system', 'fixture.event', 'fixture', s.i::text, 'event ' || s.i,
                jsonb_build_object('n', s.i, 'note', 'a "quoted", comma')
         FROM generate_series(0, $3 - 1) AS s(i) ORDER BY s.i`,
        [customerId, daysAgo, count, perDay],
      ),
    ),
  );
}

async function hotCount(customerId: string): Promise<number> {
  const { rows } = await asOwner((client) =>
    asCustomer(client, customerId, () =>
      client.query("SELECT count(*)::int AS n FROM audit_events WHERE customer_id = $1", [customerId]),
    ),
  );
  return (rows[0] as { n: number }).n;
}

interface ManifestRow {
  object_key: string;
  first_seq: string;
  last_seq: string;
  expired_at: Date | null;
}
async function manifest(customerId: string): Promise<ManifestRow[]> {
  const { rows } = await asOwner((client) =>
    asCustomer(client, customerId, () =>
      client.query(
        "SELECT object_key, first_seq, last_seq, expired_at FROM audit_archives WHERE customer_id = $1 ORDER BY first_seq",
        [customerId],
      ),
    ),
  );
  return rows as unknown as ManifestRow[];
}

const exportPeriod = (key: string, format: "jsonl" | "csv", from = iso(200 * DAY), to = iso(-DAY)) =>
  call(`/v1/audit-events/export?from=${from}&to=${to}&format=${format}`, { token: key });

let mine: TestTenant;
let other: TestTenant;

beforeAll(async () => {
  mine = await createTenant({ scopes: ["audit:read"] });
  other = await createTenant({ scopes: ["audit:read"] });
  await insertEvents(mine.customerId, 120, 100, 40); // 3 UTC days, past the 90-day window
  await insertEvents(mine.customerId, 1, 5, 5); // hot
  await insertEvents(other.customerId, 1, 3, 3);
  await archiveAuditEvents(env, new Date());
});

describe("audit archive job", () => {
  it("moves events past the hot window to one gzip object per UTC day and keeps the recent ones hot", async () => {
    expect(await hotCount(mine.customerId)).toBe(5);
    const rows = await manifest(mine.customerId);
    expect(rows.map((r) => [Number(r.first_seq), Number(r.last_seq)])).toEqual([
      [1, 40],
      [41, 80],
      [81, 100],
    ]);
    const object = await env.RECORDS_US.get(rows[0]!.object_key);
    expect(object).not.toBeNull();
    expect(rows[0]!.object_key).toMatch(new RegExp(`^audit/${mine.customerId}/\\d{4}/\\d{2}/\\d{2}/`));
    expect(object!.customMetadata).toMatchObject({ first_seq: "1", first_prev_hash: "0".repeat(64) });
    const text = await new Response(object!.body.pipeThrough(new DecompressionStream("gzip"))).text();
    expect(text.trim().split("\n")).toHaveLength(40);
  });

  it("a second run finds nothing more to archive", async () => {
    const report = await archiveAuditEvents(env, new Date());
    expect(await manifest(mine.customerId)).toHaveLength(3);
    expect(report.more).toBe(false);
  });

  it("leaves the hot chain verifiable from the archive boundary (GET /v1/audit-events/verify)", async () => {
    const response = await call("/v1/audit-events/verify", { token: mine.key });
    expect(await response.json()).toMatchObject({ valid: true, checked: 5 });
  });
});

describe("export and verify of a period", () => {
  it("exports every event of a period spanning archive and hot once, in chain order, as JSON Lines", async () => {
    const response = await exportPeriod(mine.key, "jsonl");
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toContain("application/jsonl");
    const lines = (await response.text())
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line) as { seq: number; archived: boolean; data: { n: number } });
    expect(lines.map((l) => l.seq)).toEqual(Array.from({ length: 105 }, (_, i) => i + 1));
    expect(lines.filter((l) => l.archived)).toHaveLength(100);
    expect(lines[0]!.data).toEqual({ n: 0, note: 'a "quoted", comma' });
  });

  it("exports the same period as CSV with a header", async () => {
    const response = await exportPeriod(mine.key, "csv");
    expect(response.status).toBe(200);
    const rows = (await response.text()).trim().split("\r\n");
    expect(rows[0]).toMatch(/^id,seq,occurred_at,/);
    expect(rows.slice(1).map((row) => Number(row.split('","')[1]))).toEqual(
      Array.from({ length: 105 }, (_, i) => i + 1),
    );
  });

  it("exports only the period asked for", async () => {
    const response = await exportPeriod(mine.key, "jsonl", iso(2 * DAY), iso(-DAY));
    const seqs = (await response.text())
      .trim()
      .split("\n")
      .map((line) => (JSON.parse(line) as { seq: number }).seq);
    expect(seqs).toEqual([101, 102, 103, 104, 105]);
  });

  it("verifies the chain across the archive boundary", async () => {
    const response = await send("POST", "/v1/audit-events/verify", mine.key, { from: iso(200 * DAY), to: iso(-DAY) });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ valid: true, checked: 105, archived_checked: 100, first_broken: null });
  });

  it("never exports or verifies another tenant's events", async () => {
    const response = await exportPeriod(other.key, "jsonl");
    const lines = (await response.text()).trim().split("\n");
    expect(lines).toHaveLength(3);
    const ids = async (response: Response) =>
      (await response.text())
        .trim()
        .split("\n")
        .map((line) => (JSON.parse(line) as { id: string }).id);
    const theirs = new Set(await ids(await exportPeriod(mine.key, "jsonl")));
    expect(lines.map((line) => (JSON.parse(line) as { id: string }).id).filter((id) => theirs.has(id))).toEqual([]);
    const verdict = await send("POST", "/v1/audit-events/verify", other.key, { from: iso(200 * DAY), to: iso(-DAY) });
    expect(await verdict.json()).toMatchObject({ valid: true, checked: 3, archived_checked: 0 });
  });

  it("refuses a caller without audit:read (403) and a period that ends before it starts (400)", async () => {
    const plain = await createTenant();
    await expectProblem(await exportPeriod(plain.key, "jsonl"), { status: 403 });
    const viewer = await userToken(mine.customerId, "viewer");
    await expectProblem(
      await send("POST", "/v1/audit-events/verify", viewer.token, { from: iso(DAY), to: iso(2 * DAY) }),
      { status: 403 },
    );
    await expectProblem(await exportPeriod(mine.key, "jsonl", iso(DAY), iso(2 * DAY)), {
      status: 400,
      field: "query.to",
    });
    await expectProblem(await exportPeriod(mine.key, "xml" as "csv"), { status: 400 });
  });

  it("names a tampered archived event when verifying (the archive object rewritten behind the API)", async () => {
    const key = (await manifest(mine.customerId))[1]!.object_key;
    const object = await env.RECORDS_US.get(key);
    const text = await new Response(object!.body.pipeThrough(new DecompressionStream("gzip"))).text();
    const lines = text.trim().split("\n");
    const victim = JSON.parse(lines[2]!) as { seq: number; id: string; summary: string };
    lines[2] = JSON.stringify({ ...victim, summary: "nothing happened here" });
    const gz = new Response(new Blob([`${lines.join("\n")}\n`]).stream().pipeThrough(new CompressionStream("gzip")));
    await env.RECORDS_US.put(key, await gz.arrayBuffer(), { customMetadata: object!.customMetadata });

    const response = await send("POST", "/v1/audit-events/verify", mine.key, { from: iso(200 * DAY), to: iso(-DAY) });
    expect(await response.json()).toMatchObject({
      valid: false,
      first_broken: { seq: victim.seq, id: victim.id, archived: true, reason: "hash does not match the event content" },
    });
    expect(victim.seq).toBe(43);
  });
});

describe("retention and legal hold", () => {
  it("deletes archived objects past the tier's retention, keeps a held customer's, and audits set and clear", async () => {
    const expiring = await createTenant({ tier: "standard" });
    const held = await createTenant({ tier: "standard" });
    await insertEvents(expiring.customerId, 400, 4, 4);
    await insertEvents(held.customerId, 400, 4, 4);
    const staff = await staffToken();
    const hold = await send("PUT", `/v1/admin/customers/${held.customerId}/legal-hold`, staff.token, {
      reason: "Litigation hold, matter 41",
    });
    expect(hold.status).toBe(200);
    expect(await hold.json()).toMatchObject({ customer_id: held.customerId, reason: "Litigation hold, matter 41" });

    await archiveAuditEvents(env, new Date());
    const [gone] = await manifest(expiring.customerId);
    expect(gone!.expired_at).not.toBeNull();
    expect(await env.RECORDS_US.head(gone!.object_key)).toBeNull();
    const [kept] = await manifest(held.customerId);
    expect(kept!.expired_at).toBeNull();
    expect(await env.RECORDS_US.head(kept!.object_key)).not.toBeNull();

    const lift = await send("DELETE", `/v1/admin/customers/${held.customerId}/legal-hold`, staff.token, {
      reason: "Matter 41 closed",
    });
    expect(lift.status).toBe(204);
    await archiveAuditEvents(env, new Date());
    expect((await manifest(held.customerId))[0]!.expired_at).not.toBeNull();

    const { rows } = await asOwner((client) =>
      asCustomer(client, held.customerId, () =>
        client.query(
          "SELECT action, actor_type, data FROM audit_events WHERE customer_id = $1 AND action LIKE 'customer.legal_hold%' ORDER BY seq",
          [held.customerId],
        ),
      ),
    );
    expect(rows).toEqual([
      { action: "customer.legal_hold_set", actor_type: "staff", data: { reason: "Litigation hold, matter 41" } },
      expect.objectContaining({ action: "customer.legal_hold_cleared", actor_type: "staff" }),
    ]);
  });

  it("lets only staff set a hold, and names a missing reason", async () => {
    const admin = await userToken(mine.customerId, "admin");
    await expectProblem(
      await send("PUT", `/v1/admin/customers/${mine.customerId}/legal-hold`, admin.token, { reason: "mine" }),
      { status: 403 },
    );
    const staff = await staffToken();
    await expectProblem(await send("PUT", `/v1/admin/customers/${mine.customerId}/legal-hold`, staff.token, {}), {
      status: 422,
      field: "body.reason",
    });
  });
});
