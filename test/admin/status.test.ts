// GET /v1/admin/status: the operator's first look (cron heartbeats, outbox backlog, dead webhook
// deliveries, the events DLQ), for SecureBase staff only; the database function behind it
// refuses anyone whose signed context is not super_admin.
import { beforeAll, describe, expect, it } from "vitest";
import { asCustomer } from "../../dev/fixtures.ts";
import { asApiRole, asOwner } from "../helpers/database.ts";
import { staffToken, userToken } from "../helpers/identity.ts";
import { expectProblem, type Schemas } from "../helpers/http.ts";
import { call, createTenant, type TestTenant } from "../helpers/tenants.ts";
import { eventually } from "../helpers/wait.ts";

type PlatformStatus = Schemas["PlatformStatus"];

let staff: string;
let tenant: TestTenant;
const tag = `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;

async function status(): Promise<PlatformStatus> {
  const response = await call("/v1/admin/status", { token: staff });
  expect(response.status).toBe(200);
  return response.json<PlatformStatus>();
}

beforeAll(async () => {
  const member = await staffToken();
  staff = member.token;
  tenant = await createTenant();
  // The staff sign-in emitted an event (new device): let it publish, so it cannot move the
  // backlog count between two readings below.
  await eventually(async () => {
    const customerId = member.user.customerId;
    const { rows } = await asOwner((client) =>
      asCustomer(client, customerId, () =>
        client.query("SELECT count(*)::int AS n FROM outbox_events WHERE customer_id = $1 AND published_at IS NULL", [
          customerId,
        ]),
      ),
    );
    expect(rows[0]?.n).toBe(0);
  });
});

describe("GET /v1/admin/status", () => {
  it("reports the newest run of each job, and every scheduled job even before it has run", async () => {
    const job = `status-probe-${tag}`;
    await asOwner((client) =>
      client.query(
        `INSERT INTO job_runs (job, cron, status, started_at, finished_at) VALUES
           ($1, '*/5 * * * *', 'succeeded', now() - interval '20 minutes', now() - interval '19 minutes'),
           ($1, '*/5 * * * *', 'failed', now() - interval '10 minutes', now() - interval '9 minutes')`,
        [job],
      ),
    );
    const body = await status();
    expect(body.object).toBe("platform_status");
    expect(body.environment).toBe("test");
    const probe = body.jobs.find((j) => j.job === job);
    expect(probe).toMatchObject({ cron: "*/5 * * * *", last_status: "failed" });
    expect(probe!.seconds_since_last_start).toBeGreaterThanOrEqual(600);
    expect(probe!.seconds_since_last_start).toBeLessThan(900);
    expect(Date.parse(probe!.last_finished_at!)).toBeGreaterThan(Date.parse(probe!.last_started_at!));
    // The hourly sweep is scheduled in cron/schedule.ts: it is listed whether or not it ran yet.
    expect(body.jobs.map((j) => j.job)).toContain("hourly-sweep");
  });

  it("counts the outbox backlog and ages its oldest unpublished event", async () => {
    const before = await status();
    await asOwner((client) =>
      asCustomer(client, tenant.customerId, () =>
        client.query(
          `INSERT INTO outbox_events (customer_id, type, payload, created_at, published_at) VALUES
             ($1, 'status.probe', '{}', now() - interval '2 hours', NULL),
             ($1, 'status.probe', '{}', now(), NULL),
             ($1, 'status.probe', '{}', now() - interval '3 hours', now())`,
          [tenant.customerId],
        ),
      ),
    );
    const after = await status();
    expect(after.outbox.unpublished - before.outbox.unpublished).toBe(2);
    expect(after.outbox.oldest_unpublished_age_seconds).toBeGreaterThanOrEqual(7200);
    expect(Date.parse(after.outbox.oldest_unpublished_at!)).toBeLessThanOrEqual(Date.now() - 7_200_000 + 5_000);
  });

  it("counts dead webhook deliveries across customers, and names the events dead-letter queue", async () => {
    const before = await status();
    const other = await createTenant();
    for (const customerId of [tenant.customerId, other.customerId]) {
      await asOwner((client) =>
        asCustomer(client, customerId, async () => {
          const { rows } = await client.query(
            "INSERT INTO webhook_endpoints (customer_id, url, secret_ciphertext) VALUES ($1, 'https://hooks.example.com/status', gen_random_bytes(48)) RETURNING id",
            [customerId],
          );
          const endpointId = (rows[0] as { id: string }).id;
          await client.query(
            `INSERT INTO webhook_deliveries (customer_id, endpoint_id, event_id, event_type, payload, status) VALUES
               ($1, $2, gen_random_uuid(), 'status.probe', '{}', 'dead'),
               ($1, $2, gen_random_uuid(), 'status.probe', '{}', 'pending')`,
            [customerId, endpointId],
          );
        }),
      );
    }
    const after = await status();
    expect(after.webhooks.dead_deliveries - before.webhooks.dead_deliveries).toBe(2);
    expect(after.queues.events.dead_letter_queue).toBe("securebase-events-dlq");
    expect(after.queues.events.hint).toContain("wrangler queues info securebase-events-dlq");
    expect(after.queues.events.redelivered_last_24h).toBeGreaterThanOrEqual(0);
  });
});

describe("GET /v1/admin/status security", () => {
  it("needs credentials", async () => {
    await expectProblem(await call("/v1/admin/status"), { status: 401 });
  });

  it("refuses a customer's own admin and an API key (403)", async () => {
    const { token } = await userToken(tenant.customerId, "admin");
    await expectProblem(await call("/v1/admin/status", { token }), { status: 403, type: "insufficient-permission" });
    await expectProblem(await call("/v1/admin/status", { token: tenant.key }), {
      status: 403,
      type: "insufficient-permission",
    });
  });

  it("the database refuses the status function without a super_admin context, and the API role cannot read job_runs", async () => {
    const refused = async (context: { customerId: string; superAdmin?: boolean } | null) =>
      asApiRole(async (client) => {
        const run = () => client.query("SELECT app.platform_status()");
        return (context ? asCustomer(client, context, run) : run()).then(
          () => "allowed",
          (error: { code?: string }) => error.code,
        );
      });
    expect(await refused(null)).toBe("42501");
    expect(await refused({ customerId: tenant.customerId })).toBe("42501");
    expect(await refused({ customerId: tenant.customerId, superAdmin: true })).toBe("allowed");
    const direct = await asApiRole((client) =>
      client.query("SELECT count(*) FROM job_runs").then(
        () => "allowed",
        (e: { code?: string }) => e.code,
      ),
    );
    expect(direct).toBe("42501");
  });
});
