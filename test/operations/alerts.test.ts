// Alerts that reach a person (docs/operations.md, "Alerts"): the every-minute alert job opens one
// incident per rule and key, tells on-call staff once (email through the sink, in-app, the
// operations webhook signed with Standard Webhooks to a real receiver), stays silent while the
// condition holds and sends one resolve message when it clears. Staff read incidents at
// GET /v1/admin/alerts; customers get 403. Staff also hear of every new support ticket.
import { createExecutionContext, createMessageBatch, createScheduledController, getQueueResult } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { asCustomer } from "../../dev/fixtures.ts";
import worker from "../../worker/index.ts";
import { schedule } from "../../cron/schedule.ts";
import { runJob } from "../../worker/jobs/job-runs.ts";
import { cronIntervalSeconds } from "../../worker/operations/rules.ts";
import { requestCounter } from "../../worker/platform/request-count.ts";
import { newSigningSecret } from "../../worker/webhooks/signing.ts";
import { asOwner } from "../helpers/database.ts";
import { expectProblem, type Schemas } from "../helpers/http.ts";
import { staffToken, type TestUser } from "../helpers/identity.ts";
import { receiver, received, sentEmails } from "../helpers/sink.ts";
import { call, createTenant, type TestTenant } from "../helpers/tenants.ts";
import { eventually, expectNothingAfter } from "../helpers/wait.ts";
import { openTicket, supportTenant } from "../support/support-helpers.ts";

type Incident = Schemas["AlertIncident"];

let staff: { user: TestUser; token: string };
let tenant: TestTenant;
let ops: { name: string; url: string };
let opsEnv: typeof env;
const tag = `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;

beforeAll(async () => {
  staff = await staffToken();
  tenant = await createTenant();
  const secret = newSigningSecret();
  ops = await receiver({ secrets: [secret] });
  opsEnv = { ...env, OPS_WEBHOOK_URL: ops.url, OPS_WEBHOOK_SECRET: secret };
});

/** One run of the alert job, as its Cron Trigger fires it. */
const evaluate = () =>
  worker.scheduled(createScheduledController({ cron: "*/1 * * * *", scheduledTime: Date.now() }), opsEnv);

const alertEmails = async (rule: string, key: string, word: "alert" | "resolved") =>
  (await sentEmails()).filter(
    (e) =>
      e.body.Destination.ToAddresses.includes(staff.user.email) &&
      e.body.Content.Simple.Subject.Data.startsWith(`[SecureBase ${word}] ${rule}:`) &&
      e.body.Content.Simple.Body.Text.Data.includes(`(${key})`),
  );

interface OpsMessage {
  type: string;
  data: { rule: string; key: string; incident_id: string; runbook: string; resolved_at: string | null };
}
const opsMessages = async (rule: string, key: string) =>
  (await received(ops.name))
    .map((r) => ({ verified: r.verified, id: r.headers["webhook-id"], body: JSON.parse(r.body) as OpsMessage }))
    .filter((m) => m.body.data.rule === rule && m.body.data.key === key);

/** Finished runs of the alert job (job_runs): each one has sent everything it was going to. */
const alertRuns = async () =>
  (
    await asOwner((client) =>
      client.query("SELECT count(*)::int AS n FROM job_runs WHERE job = 'alerts' AND status = 'succeeded'"),
    )
  ).rows[0]!.n as number;

async function incidents(state: "open" | "resolved" | "all" = "all"): Promise<Incident[]> {
  const response = await call(`/v1/admin/alerts?state=${state}&limit=200`, { token: staff.token });
  expect(response.status).toBe(200);
  return (await response.json<{ data: Incident[] }>()).data;
}

describe("a failing Cron job", () => {
  it("raises exactly one alert, stays silent while it keeps failing, and sends one resolve message", async () => {
    const job = `alerts-test-${tag}`;
    const fail = () =>
      runJob(env, job, null, async () => {
        throw new Error("disk full");
      });
    await expect(fail()).rejects.toThrow("disk full");

    await evaluate();
    const opened = await eventually(async () => {
      const [email, ...more] = await alertEmails("cron_job_failed", job, "alert");
      expect(more).toHaveLength(0);
      expect(email?.body.Content.Simple.Body.Text.Data).toContain("docs/runbooks.md#alert-cron_job_failed");
      const messages = await opsMessages("cron_job_failed", job);
      expect(messages).toHaveLength(1);
      expect(messages[0]!.verified).toBe(true);
      expect(messages[0]!.body).toMatchObject({ type: "alert.opened", data: { resolved_at: null } });
      return messages[0]!;
    });
    const [incident] = (await incidents("open")).filter((i) => i.rule === "cron_job_failed" && i.key === job);
    expect(incident).toMatchObject({ id: opened.body.data.incident_id, state: "open", resolved_at: null });
    expect(incident!.summary).toContain("disk full");

    // Still failing: the incident stays open, nothing is sent again.
    await expect(fail()).rejects.toThrow();
    const runsBefore = await alertRuns();
    await evaluate();
    await evaluate();
    await expectNothingAfter(
      async () => expect(await alertRuns()).toBe(runsBefore + 2),
      async () => {
        expect(await alertEmails("cron_job_failed", job, "alert")).toHaveLength(1);
        expect(await opsMessages("cron_job_failed", job)).toHaveLength(1);
      },
    );
    expect((await incidents("open")).filter((i) => i.rule === "cron_job_failed" && i.key === job)).toHaveLength(1);

    // The job succeeds: one resolve message on every channel, the incident resolved.
    await runJob(env, job, null, async () => ({}));
    await evaluate();
    await evaluate();
    await eventually(async () => {
      expect(await alertEmails("cron_job_failed", job, "resolved")).toHaveLength(1);
      const messages = await opsMessages("cron_job_failed", job);
      expect(messages.map((m) => m.body.type)).toEqual(["alert.opened", "alert.resolved"]);
      expect(messages.every((m) => m.verified)).toBe(true);
      expect(new Set(messages.map((m) => m.id)).size).toBe(2);
    });
    const resolved = (await incidents("resolved")).find((i) => i.id === incident!.id);
    expect(resolved).toMatchObject({ state: "resolved", runbook: "docs/runbooks.md#alert-cron_job_failed" });
    expect(resolved!.resolved_at).not.toBeNull();
    expect((await incidents("open")).some((i) => i.id === incident!.id)).toBe(false);

    // And in-app, in the staff member's own notifications.
    const inbox = await call("/v1/notifications", { token: staff.token });
    const titles = (await inbox.json<{ data: { title: string }[] }>()).data.map((n) => n.title);
    expect(titles.some((t) => t.startsWith("[SecureBase alert] cron_job_failed"))).toBe(true);
    expect(titles.some((t) => t.startsWith("[SecureBase resolved] cron_job_failed"))).toBe(true);
  });
});

describe("the outbox backlog rule", () => {
  it("opens when the oldest unpublished event is over 5 minutes old and resolves once it is published", async () => {
    const { rows } = await asOwner((client) =>
      asCustomer(client, tenant.customerId, () =>
        client.query(
          "INSERT INTO outbox_events (customer_id, type, payload, created_at) VALUES ($1, 'fixture.stuck', '{}', now() - interval '6 minutes') RETURNING id",
          [tenant.customerId],
        ),
      ),
    );
    await evaluate();
    const [open] = (await incidents("open")).filter((i) => i.rule === "outbox_backlog");
    expect(open).toMatchObject({ key: "events", state: "open" });
    expect(open!.details).toMatchObject({ unpublished: expect.any(Number) });
    await eventually(async () => expect(await opsMessages("outbox_backlog", "events")).toHaveLength(1));

    await asOwner((client) =>
      asCustomer(client, tenant.customerId, () =>
        client.query("UPDATE outbox_events SET published_at = now() WHERE id = $1", [rows[0]!.id]),
      ),
    );
    await evaluate();
    expect((await incidents("all")).find((i) => i.id === open!.id)?.state).toBe("resolved");
    await eventually(async () =>
      expect((await opsMessages("outbox_backlog", "events")).map((m) => m.body.type)).toEqual([
        "alert.opened",
        "alert.resolved",
      ]),
    );
  });
});

describe("the dead-letter rule", () => {
  it("records each dead-lettered message, acks it, and raises one alert for the queue", async () => {
    const batch = createMessageBatch<unknown>("securebase-events-dlq", [
      { id: `dead-${tag}-1`, timestamp: new Date(), attempts: 1, body: { event_id: "x", type: "invoice.created" } },
      { id: `dead-${tag}-2`, timestamp: new Date(), attempts: 1, body: { nonsense: true } },
    ]);
    const ctx = createExecutionContext();
    await worker.queue(batch as unknown as Parameters<typeof worker.queue>[0], env);
    const result = await getQueueResult(batch, ctx);
    expect(result.ackAll).toBe(true);
    const { rows } = await asOwner((client) =>
      client.query("SELECT message_id, body FROM queue_dead_letters WHERE message_id LIKE $1 ORDER BY message_id", [
        `dead-${tag}-%`,
      ]),
    );
    expect(rows.map((r) => r.message_id)).toEqual([`dead-${tag}-1`, `dead-${tag}-2`]);

    await evaluate();
    await evaluate();
    const open = (await incidents("open")).filter((i) => i.rule === "queue_dead_letters");
    expect(open).toHaveLength(1);
    expect(open[0]).toMatchObject({ key: "securebase-events-dlq", details: { messages: 2 } });
    await eventually(async () =>
      expect(await opsMessages("queue_dead_letters", "securebase-events-dlq")).toHaveLength(1),
    );
  });
});

describe("the 5xx error-rate rule", () => {
  it("counts every answered request, and opens above 1 % 5xx over 5 minutes and resolves below", async () => {
    const counter = requestCounter(env);
    const total = async () => (await counter.since(Date.now() - 60_000)).reduce((n, m) => n + m.requests, 0);
    const before = await total();
    expect((await call("/v1/no-such-route")).status).toBe(404);
    await eventually(async () => expect(await total()).toBeGreaterThan(before));

    // 5 of ~100 requests this minute answered 5xx.
    await counter.bump(Date.now(), 100, 5);
    await evaluate();
    const [open] = (await incidents("open")).filter((i) => i.rule === "error_rate_5xx");
    expect(open).toMatchObject({ key: "api" });
    expect(open!.details.errors_5xx).toBeGreaterThanOrEqual(5);

    // Traffic recovers: the 5xx share falls under 1 %.
    await counter.bump(Date.now(), 2000, 0);
    await evaluate();
    expect((await incidents("all")).find((i) => i.id === open!.id)?.state).toBe("resolved");
  });
});

describe("the schedule, billing and SLA rules", () => {
  it("knows each scheduled job's interval from its cron expression", () => {
    expect(Object.keys(schedule).map((cron) => [cron, cronIntervalSeconds(cron)])).toEqual(
      expect.arrayContaining([
        ["* * * * *", 60],
        ["*/1 * * * *", 60],
        ["*/5 * * * *", 300],
        ["0 * * * *", 3600],
        ["30 0 * * *", 86_400],
        ["0 0 1 * *", 31 * 86_400],
      ]),
    );
  });

  it("raises cron_job_missed for a job not run within its interval plus grace, and resolves when it runs", async () => {
    const runAt = (ago: string) =>
      asOwner((client) =>
        client.query(
          `INSERT INTO job_runs (job, cron, status, started_at, finished_at) VALUES ('daily-cost', '30 0 * * *', 'succeeded', now() - interval '${ago}', now() - interval '${ago}')`,
        ),
      );
    await runAt("3 days");
    await evaluate();
    const [missed] = (await incidents("open")).filter((i) => i.rule === "cron_job_missed" && i.key === "daily-cost");
    expect(missed?.details).toMatchObject({ expected_every_seconds: 86_400 });
    await runAt("1 minute");
    await evaluate();
    expect((await incidents("all")).find((i) => i.id === missed!.id)?.state).toBe("resolved");
  });

  it("raises billing_run_failed for a failed last billing run, and resolves after a successful one", async () => {
    const run = (status: string) =>
      asOwner((client) =>
        client.query(
          "INSERT INTO billing_runs (period_start, status, error, finished_at) VALUES (date_trunc('month', now())::date, $1, $2, now())",
          [status, status === "failed" ? "rate card missing" : null],
        ),
      );
    await run("failed");
    await evaluate();
    const [failed] = (await incidents("open")).filter((i) => i.rule === "billing_run_failed");
    expect(failed?.summary).toContain("rate card missing");
    await run("succeeded");
    await evaluate();
    expect((await incidents("all")).find((i) => i.id === failed!.id)?.state).toBe("resolved");
  });

  it("raises sla_breached for a breached ticket still open, so support really is alerted", async () => {
    const customer = await supportTenant();
    const ticket = await openTicket(customer.key, { subject: `Breached ${tag}` });
    await asOwner((client) =>
      asCustomer(client, customer.customerId, () =>
        client.query(
          "UPDATE support_tickets SET sla_breached_at = now(), first_response_breached_at = now() WHERE id = $1",
          [ticket.id],
        ),
      ),
    );
    await evaluate();
    const [breach] = (await incidents("open")).filter((i) => i.rule === "sla_breached" && i.key === ticket.id);
    expect(breach?.details).toMatchObject({ ticket_id: ticket.id, customer_id: customer.customerId });
    await eventually(async () => expect(await alertEmails("sla_breached", ticket.id, "alert")).toHaveLength(1));
  });
});

describe("GET /v1/admin/alerts", () => {
  it("is for SecureBase staff only: a customer gets 403", async () => {
    const response = await call("/v1/admin/alerts", { token: tenant.key });
    await expectProblem(response, { status: 403 });
  });

  it("names a bad state filter", async () => {
    const response = await call("/v1/admin/alerts?state=sideways", { token: staff.token });
    await expectProblem(response, { status: 400, field: "query.state" });
  });
});

describe("staff alerts for the support desk", () => {
  it("tells every staff member, in-app and by email, when a customer opens a ticket", async () => {
    const customer = await supportTenant();
    const ticket = await openTicket(customer.key, { subject: `Printer on fire ${tag}` });
    await eventually(async () => {
      const emails = (await sentEmails()).filter(
        (e) =>
          e.body.Destination.ToAddresses.includes(staff.user.email) &&
          e.body.Content.Simple.Subject.Data.includes(`Printer on fire ${tag}`),
      );
      expect(emails).toHaveLength(1);
      expect(emails[0]!.body.Content.Simple.Body.Text.Data).toContain(`/staff/tickets/${ticket.id}`);
    });
    const inbox = await call("/v1/notifications", { token: staff.token });
    const titles = (await inbox.json<{ data: { title: string }[] }>()).data.map((n) => n.title);
    expect(titles.some((t) => t.includes(`Printer on fire ${tag}`))).toBe(true);
  });
});
