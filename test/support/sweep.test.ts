// The support Cron jobs: the 5-minute sweep marks each breached clock exactly once (also when two
// sweeps overlap) with one ticket.sla_breached event and one audit event; paused, answered and
// not-yet-due clocks are left alone; the daily purge deletes tickets closed > 90 days ago with
// all their comments (notes too), audited.
import { createScheduledController } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { asCustomer } from "../../dev/fixtures.ts";
import worker from "../../worker/index.ts";
import { asOwner } from "../helpers/database.ts";
import { staffToken } from "../helpers/identity.ts";
import { call, type TestTenant } from "../helpers/tenants.ts";
import { send } from "../helpers/http.ts";
import { age, ok, openTicket, outboxFor, supportTenant, type Ticket } from "./support-helpers.ts";

const HOUR = 3600_000;
const DAY = 24 * HOUR;
const sweep = () =>
  worker.scheduled(createScheduledController({ cron: "*/5 * * * *", scheduledTime: Date.now() }), env);
const purge = () => worker.scheduled(createScheduledController({ cron: "30 3 * * *", scheduledTime: Date.now() }), env);

let tenant: TestTenant;
let staff: string;
beforeAll(async () => {
  tenant = await supportTenant("standard");
  staff = (await staffToken()).token;
});

const breachEvents = async (ticketId: string) =>
  (await outboxFor(tenant.customerId)).filter((e) => e.type === "ticket.sla_breached" && e.payload.id === ticketId);

function setDeadlines(ticketId: string, set: string): Promise<unknown> {
  return asOwner((client) =>
    asCustomer(client, tenant.customerId, () =>
      client.query(`UPDATE support_tickets SET ${set} WHERE id = $1`, [ticketId]),
    ),
  );
}

async function auditActions(ticketId: string): Promise<string[]> {
  const page = await ok<{ data: { action: string }[] }>(
    await call(`/v1/audit-events?resource_id=${ticketId}&limit=100`, { token: tenant.key }),
  );
  return page.data.map((e) => e.action);
}

describe("SLA breach sweep (every 5 minutes)", () => {
  it("marks a breached clock once, with one event and one audit event, however often and concurrently it runs", async () => {
    const ticket = await openTicket(tenant.key, { priority: "high" }); // standard/high: 8 h first response, 48 h resolution
    await age(tenant.customerId, ticket.id, 8 * HOUR + 1000); // first response overdue by a second
    await Promise.all([sweep(), sweep()]);
    await sweep();

    const events = await breachEvents(ticket.id);
    expect(events).toHaveLength(1);
    expect(events[0]!.payload).toMatchObject({ id: ticket.id, clock: "first_response", priority: "high" });
    expect((await auditActions(ticket.id)).filter((a) => a === "ticket.sla_breached")).toHaveLength(1);
    const view = await ok<Ticket>(await call(`/v1/support/tickets/${ticket.id}`, { token: tenant.key }));
    expect(view.sla.first_response.status).toBe("breached");
    expect(view.sla.first_response.breach_recorded_at).toBe(events[0]!.payload.breached_at);
    expect(view.sla.resolution).toMatchObject({ status: "pending", breach_recorded_at: null });

    // Later the resolution clock breaches too: its own single event.
    await age(tenant.customerId, ticket.id, 40 * HOUR);
    await sweep();
    await sweep();
    const both = await breachEvents(ticket.id);
    expect(both.map((e) => e.payload.clock)).toEqual(["first_response", "resolution"]);

    const { rows } = await asOwner((client) =>
      client.query(
        "SELECT status, detail FROM job_runs WHERE job = 'support-sla-sweep' ORDER BY started_at DESC LIMIT 1",
      ),
    );
    expect(rows[0]).toMatchObject({ status: "succeeded" });
  });

  it("leaves not-yet-due, answered and paused clocks alone", async () => {
    const notDue = await openTicket(tenant.key, { priority: "high" });
    // Due in 10 minutes: the requests below can take seconds on a busy machine, so with a margin
    // of seconds the clock could run out before the sweep.
    await setDeadlines(notDue.id, "first_response_due_at = now() + interval '10 minutes'");
    const answered = await openTicket(tenant.key, { priority: "high" });
    await ok(await send("POST", `/v1/admin/support/tickets/${answered.id}/comments`, staff, { body: "On it" }), 201);
    await age(tenant.customerId, answered.id, 9 * HOUR);
    const paused = await openTicket(tenant.key, { priority: "high" });
    await ok(await send("POST", `/v1/admin/support/tickets/${paused.id}/comments`, staff, { body: "Need logs" }), 201);
    await ok(await send("PATCH", `/v1/admin/support/tickets/${paused.id}`, staff, { status: "waiting_on_customer" }));
    await setDeadlines(paused.id, "resolution_due_at = now() - interval '1 hour'");
    const resolved = await openTicket(tenant.key, { priority: "high" });
    await ok(await send("PATCH", `/v1/admin/support/tickets/${resolved.id}`, staff, { status: "resolved" }));
    await age(tenant.customerId, resolved.id, 100 * HOUR);

    await sweep();
    for (const t of [notDue, answered, paused, resolved]) expect(await breachEvents(t.id)).toEqual([]);

    // The paused ticket breaches once the customer replies and the clock runs again.
    await ok(
      await send("POST", `/v1/support/tickets/${paused.id}/comments`, tenant.key, { body: "Logs attached" }),
      201,
    );
    await setDeadlines(paused.id, "resolution_due_at = now() - interval '1 second'");
    await sweep();
    expect((await breachEvents(paused.id)).map((e) => e.payload.clock)).toEqual(["resolution"]);
  });
});

describe("daily purge", () => {
  it("deletes tickets closed more than 90 days ago with every comment and note, audited; keeps younger ones", async () => {
    const old = await openTicket(tenant.key);
    await ok(
      await send("POST", `/v1/support/tickets/${old.id}/comments`, tenant.key, { body: "customer comment" }),
      201,
    );
    await ok(
      await send("POST", `/v1/admin/support/tickets/${old.id}/comments`, staff, { body: "staff note", internal: true }),
      201,
    );
    await ok(await send("PATCH", `/v1/support/tickets/${old.id}`, tenant.key, { status: "closed" }));
    await age(tenant.customerId, old.id, 90 * DAY + HOUR);
    const recent = await openTicket(tenant.key);
    await ok(await send("PATCH", `/v1/support/tickets/${recent.id}`, tenant.key, { status: "closed" }));
    await age(tenant.customerId, recent.id, 89 * DAY);
    const open = await openTicket(tenant.key);
    await age(tenant.customerId, open.id, 200 * DAY);

    await purge();

    expect((await call(`/v1/support/tickets/${old.id}`, { token: tenant.key })).status).toBe(404);
    expect((await call(`/v1/support/tickets/${recent.id}`, { token: tenant.key })).status).toBe(200);
    expect((await call(`/v1/support/tickets/${open.id}`, { token: tenant.key })).status).toBe(200);
    // Staff context sees notes too: nothing of the purged ticket is left.
    const { rows } = await asOwner((client) =>
      asCustomer(client, { customerId: tenant.customerId, superAdmin: true }, () =>
        client.query("SELECT count(*)::int AS n FROM ticket_comments WHERE ticket_id = $1", [old.id]),
      ),
    );
    expect(rows[0]).toEqual({ n: 0 });
    expect(await auditActions(old.id)).toContain("ticket.purged");
  });
});
