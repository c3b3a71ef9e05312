// Customer data export (docs/exports-closure.md): every tenant table of the catalog appears in the
// manifest with its row count and the SHA-256 of its object; the objects go to the bucket of the
// customer's jurisdiction; only the exporting customer's admins can read them; admins are notified.
import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { tenantTables } from "../helpers/catalog.ts";
import { asOwner } from "../helpers/database.ts";
import { populateEveryTable } from "../helpers/every-table.ts";
import { expectProblem, send, type Schemas } from "../helpers/http.ts";
import { staffToken, userToken } from "../helpers/identity.ts";
import { owner, sha256hex } from "../helpers/invites.ts";
import { sentEmails } from "../helpers/sink.ts";
import { createTenant, type TestTenant } from "../helpers/tenants.ts";
import { eventually } from "../helpers/wait.ts";

type Export = Schemas["Export"];
type Entry = { key: string; rows: number | null; bytes?: number; sha256?: string; withheld?: string };

async function finished(token: string, id: string): Promise<Export> {
  return eventually(async () => {
    const response = await send("GET", `/v1/exports/${id}`, token);
    expect(response.status).toBe(200);
    const body = await response.json<Export>();
    if (body.status !== "succeeded") throw new Error(`export ${id} is ${body.status} ${body.error ?? ""}`);
    return body;
  });
}

async function startExport(token: string): Promise<Export> {
  const response = await send("POST", "/v1/exports", token);
  expect(response.status, await response.clone().text()).toBe(202);
  return response.json<Export>();
}

let tenant: TestTenant;
let admin: { user: { email: string }; token: string };
let done: Export;
let before: Map<string, number>;

/** The customer's rows per tenant table, now. */
async function counts(customerId: string): Promise<Map<string, number>> {
  const result = new Map<string, number>();
  for (const table of await tenantTables()) {
    const [row] = await owner<{ n: number }>(
      customerId,
      `SELECT count(*)::int AS n FROM ${table.name} WHERE ${table.key} = $1`,
      [customerId],
    );
    result.set(table.name, row!.n);
  }
  return result;
}

beforeAll(async () => {
  tenant = await createTenant();
  await asOwner((client) => populateEveryTable(client, tenant.customerId, `exp${Date.now().toString(36)}`));
  admin = await userToken(tenant.customerId, "admin");
  before = await counts(tenant.customerId);
  done = await finished(admin.token, (await startExport(admin.token)).id);
}, 90_000);

describe("POST /v1/exports", () => {
  it("lists every tenant table of the catalog with its row count and its object's SHA-256", async () => {
    const tables = (done.manifest as { tables: Record<string, Entry> }).tables;
    const catalog = await tenantTables();
    const after = await counts(tenant.customerId);
    expect(Object.keys(tables).sort()).toEqual(catalog.map((t) => t.name).sort());
    let exported = 0;
    for (const table of catalog) {
      const entry = tables[table.name]!;
      if (entry.withheld) continue;
      exported++;
      // The tenant lives on while it exports (deliveries, notifications, its own export row):
      // a table holds at least what it held before the export and at most what it holds after.
      expect(entry.rows, table.name).toBeGreaterThanOrEqual(before.get(table.name)!);
      expect(entry.rows, table.name).toBeLessThanOrEqual(after.get(table.name)!);
      const file = await send("GET", `/v1/exports/${done.id}/download?file=${table.name}.jsonl`, admin.token);
      expect(file.status, table.name).toBe(200);
      const text = await file.text();
      expect(await sha256hex(text), table.name).toBe(entry.sha256);
      expect(text.split("\n").filter(Boolean).length, table.name).toBe(entry.rows);
      for (const line of text.split("\n").filter(Boolean)) {
        const row = JSON.parse(line) as Record<string, unknown>;
        if (table.key in row) expect(row[table.key], table.name).toBe(tenant.customerId);
      }
    }
    // Most tables are exported (only tables the API role cannot read at all are withheld), and
    // tables nothing writes during the export match exactly.
    expect(exported).toBeGreaterThan(catalog.length / 2);
    expect(tables.usage_events!.rows).toBe(1);
    expect(tables.cost_budgets!.rows).toBe(1);
    expect(tables.customers!.rows).toBe(1);
  }, 90_000);

  it("offers a download link for 24 hours and serves the manifest", async () => {
    expect(done.download_url).toMatch(new RegExp(`/v1/exports/${done.id}/download$`));
    const hours = (Date.parse(done.expires_at!) - Date.parse(done.completed_at!)) / 3_600_000;
    expect(Math.round(hours)).toBe(24);
    const manifest = await send("GET", `/v1/exports/${done.id}/download`, admin.token);
    expect(manifest.status).toBe(200);
    expect(await manifest.json()).toMatchObject({ export_id: done.id, customer_id: tenant.customerId });
  });

  it("writes the objects to the bucket of the customer's jurisdiction only", async () => {
    const key = `exports/${tenant.customerId}/${done.id}/manifest.json`;
    expect(await env.RECORDS_US.head(key)).not.toBeNull();
    expect(await env.RECORDS_EU.head(key)).toBeNull();
    const staff = (await staffToken()).token;
    const tag = Date.now().toString(36);
    const onboarded = await send("POST", "/v1/admin/customers", staff, {
      name: `EU Export ${tag}`,
      email: `ops+eu${tag}@example.com`,
      tier: "standard",
      data_jurisdiction: "eu",
      admin: { email: `admin-eu${tag}@example.com` },
    });
    const euId = (await onboarded.json<Schemas["OnboardedCustomer"]>()).customer.id;
    const euAdmin = await userToken(euId, "admin");
    const euExport = await finished(euAdmin.token, (await startExport(euAdmin.token)).id);
    expect(euExport.data_jurisdiction).toBe("eu");
    const euKey = `exports/${euId}/${euExport.id}/users.jsonl`;
    expect(await env.RECORDS_EU.head(euKey)).not.toBeNull();
    expect(await env.RECORDS_US.head(euKey)).toBeNull();
    expect(await env.RECORDS_FEDRAMP.head(euKey)).toBeNull();
  });

  it("notifies the customer's admins in-app and by email", async () => {
    const inApp = await owner<{ title: string }>(
      tenant.customerId,
      "SELECT title FROM notifications WHERE event_type = 'export.ready' AND user_id IS NOT NULL",
      [],
    );
    expect(inApp.map((n) => n.title)).toContain("Your data export is ready");
    await eventually(async () => {
      const mail = (await sentEmails()).find(
        (e) =>
          e.body.Destination.ToAddresses.includes(admin.user.email) &&
          e.body.Content.Simple.Body.Text.Data.includes(done.id),
      );
      expect(mail?.body.Content.Simple.Subject.Data).toBe("Your data export is ready");
    });
  });
});

describe("access", () => {
  it("hides an export from another tenant (404), refuses no credentials (401) and non-admins (403)", async () => {
    const other = await createTenant();
    const otherAdmin = await userToken(other.customerId, "admin");
    await expectProblem(await send("GET", `/v1/exports/${done.id}`, otherAdmin.token), { status: 404 });
    await expectProblem(await send("GET", `/v1/exports/${done.id}/download?file=users.jsonl`, otherAdmin.token), {
      status: 404,
    });
    await expectProblem(await send("GET", `/v1/exports/${done.id}/download`, undefined), { status: 401 });
    await expectProblem(await send("POST", "/v1/exports", undefined), { status: 401 });
    const viewer = await userToken(tenant.customerId, "viewer");
    await expectProblem(await send("POST", "/v1/exports", viewer.token), { status: 403 });
    const developer = await userToken(tenant.customerId, "developer");
    await expectProblem(await send("GET", `/v1/exports/${done.id}`, developer.token), { status: 403 });
  });

  it("names a bad file parameter (400, never a 500)", async () => {
    await expectProblem(await send("GET", `/v1/exports/${done.id}/download?file=../etc`, admin.token), {
      status: 400,
      field: "query.file",
    });
  });
});
