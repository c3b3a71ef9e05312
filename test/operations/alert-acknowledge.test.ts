// Acknowledging an alert (docs/operations.md, "Alerts"; docs/runbooks.md): staff take an open
// incident with POST /v1/admin/alerts/{id}/acknowledge; the list shows who and when (and filters
// by state); the incident still resolves, with its one resolve message, when the rule clears.
// Audited. Customers get 403; a resolved, already acknowledged or unknown incident 409/409/404.
import { createScheduledController } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { asCustomer } from "../../dev/fixtures.ts";
import worker from "../../worker/index.ts";
import { runJob } from "../../worker/jobs/job-runs.ts";
import { asOwner } from "../helpers/database.ts";
import { expectProblem, send, type Schemas } from "../helpers/http.ts";
import { staffToken, type TestUser, userToken } from "../helpers/identity.ts";
import { sentEmails } from "../helpers/sink.ts";
import { call, createTenant, type TestTenant } from "../helpers/tenants.ts";
import { eventually } from "../helpers/wait.ts";

type Incident = Schemas["AlertIncident"];

let staff: { user: TestUser; token: string };
let tenant: TestTenant;
const tag = `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;
let jobs = 0;

beforeAll(async () => {
  staff = await staffToken();
  tenant = await createTenant();
});

/** One run of the alert job, as its Cron Trigger fires it. */
const evaluate = () =>
  worker.scheduled(createScheduledController({ cron: "*/1 * * * *", scheduledTime: Date.now() }), env);

/** An open incident that stays open (its Cron job keeps failing) until `recover` runs the job fine. */
async function openIncident(): Promise<{ incident: Incident; job: string; recover: () => Promise<void> }> {
  const job = `ack-test-${tag}-${jobs++}`;
  await expect(
    runJob(env, job, null, async () => {
      throw new Error("disk full");
    }),
  ).rejects.toThrow("disk full");
  await evaluate();
  const incident = (await incidents("all")).find((i) => i.rule === "cron_job_failed" && i.key === job);
  expect(incident).toMatchObject({ state: "open", acknowledged_at: null, acknowledged_by: null });
  return {
    incident: incident!,
    job,
    recover: async () => {
      await runJob(env, job, null, async () => ({}));
      await evaluate();
    },
  };
}

async function incidents(state: "open" | "acknowledged" | "resolved" | "all"): Promise<Incident[]> {
  const response = await call(`/v1/admin/alerts?state=${state}&limit=200`, { token: staff.token });
  expect(response.status).toBe(200);
  return (await response.json<{ data: Incident[] }>()).data;
}

const acknowledge = (id: string, token: string, body?: unknown) =>
  send("POST", `/v1/admin/alerts/${id}/acknowledge`, token, body);

describe("POST /v1/admin/alerts/{id}/acknowledge", () => {
  it("records who took an open incident, shows it as acknowledged, audits it, and still resolves it once", async () => {
    const { incident, job, recover } = await openIncident();
    const response = await acknowledge(incident.id, staff.token, { note: "  On it: disk on the worker  " });
    expect(response.status, await response.clone().text()).toBe(200);
    const acked = await response.json<Incident>();
    expect(acked).toMatchObject({
      id: incident.id,
      state: "acknowledged",
      acknowledged_by: staff.user.id,
      acknowledge_note: "On it: disk on the worker",
      resolved_at: null,
    });
    expect(acked.acknowledged_at).not.toBeNull();

    expect((await incidents("acknowledged")).find((i) => i.id === incident.id)).toEqual(acked);
    expect((await incidents("open")).some((i) => i.id === incident.id)).toBe(false);

    // Filed in the staff member's own customer's chain.
    const { rows } = await asOwner((client) =>
      asCustomer(client, staff.user.customerId, () =>
        client.query(
          "SELECT customer_id, actor_type, actor_id, data FROM audit_events WHERE action = 'alert.acknowledged' AND resource_id = $1",
          [incident.id],
        ),
      ),
    );
    expect(rows).toEqual([
      {
        customer_id: staff.user.customerId,
        actor_type: "staff",
        actor_id: staff.user.id,
        data: { rule: "cron_job_failed", key: job, note: "On it: disk on the worker" },
      },
    ]);

    // Still failing: it stays acknowledged (the job does not reopen or re-send it).
    await evaluate();
    expect((await incidents("acknowledged")).find((i) => i.id === incident.id)?.state).toBe("acknowledged");

    // The job recovers: resolved as usual, the resolve email goes out, the acknowledgement is kept.
    await recover();
    const resolved = (await incidents("resolved")).find((i) => i.id === incident.id);
    expect(resolved).toMatchObject({ state: "resolved", acknowledged_by: staff.user.id });
    await eventually(async () => {
      const emails = (await sentEmails()).filter(
        (e) =>
          e.body.Destination.ToAddresses.includes(staff.user.email) &&
          e.body.Content.Simple.Subject.Data.startsWith("[SecureBase resolved] cron_job_failed:") &&
          e.body.Content.Simple.Body.Text.Data.includes(`(${job})`),
      );
      expect(emails).toHaveLength(1);
    });

    // A resolved incident cannot be acknowledged.
    await expectProblem(await acknowledge(incident.id, staff.token), { status: 409, type: "alert-resolved" });
  });

  it("takes no body at all (the note is optional)", async () => {
    const { incident, recover } = await openIncident();
    const response = await call(`/v1/admin/alerts/${incident.id}/acknowledge`, { method: "POST", token: staff.token });
    expect(response.status, await response.clone().text()).toBe(200);
    expect(await response.json()).toMatchObject({ state: "acknowledged", acknowledge_note: null });
    await recover();
  });

  it("refuses a second acknowledgement with 409, keeping the first", async () => {
    const { incident, recover } = await openIncident();
    expect((await acknowledge(incident.id, staff.token, { note: "first" })).status).toBe(200);
    const other = await staffToken();
    await expectProblem(await acknowledge(incident.id, other.token, { note: "second" }), {
      status: 409,
      type: "alert-already-acknowledged",
    });
    const listed = (await incidents("acknowledged")).find((i) => i.id === incident.id);
    expect(listed).toMatchObject({ acknowledged_by: staff.user.id, acknowledge_note: "first" });
    await recover();
  });

  it("is for SecureBase staff only: a customer's key and a customer admin get 403, and nothing changes", async () => {
    const { incident, recover } = await openIncident();
    await expectProblem(await acknowledge(incident.id, tenant.key, {}), { status: 403 });
    const admin = await userToken(tenant.customerId, "admin");
    await expectProblem(await acknowledge(incident.id, admin.token, {}), { status: 403 });
    expect((await incidents("open")).find((i) => i.id === incident.id)?.acknowledged_at).toBeNull();
    await recover();
  });

  it("answers 404 for an unknown incident and names a bad note or id", async () => {
    await expectProblem(await acknowledge(crypto.randomUUID(), staff.token), { status: 404 });
    await expectProblem(await acknowledge("not-a-uuid", staff.token), { status: 400, field: "param.id" });
    const { incident, recover } = await openIncident();
    await expectProblem(await acknowledge(incident.id, staff.token, { note: "x".repeat(501) }), {
      status: 422,
      field: "body.note",
    });
    await expectProblem(await acknowledge(incident.id, staff.token, { note: "ok", extra: true }), { status: 422 });
    await recover();
  });

  it("names a bad state filter on the list", async () => {
    await expectProblem(await call("/v1/admin/alerts?state=sideways", { token: staff.token }), {
      status: 400,
      field: "query.state",
    });
  });
});
