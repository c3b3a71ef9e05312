// The staff side: a queue across customers sorted by the nearest running deadline, assignment,
// status transitions (illegal ones are a 409 naming the allowed ones), replies that stop the
// first-response clock, waiting_on_customer pausing the resolution clock until the customer
// replies, and internal notes that no customer credential can read by any path.
import { createScheduledController } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { asCustomer } from "../../dev/fixtures.ts";
import worker from "../../worker/index.ts";
import { portalLink } from "../../worker/platform/portal-links.ts";
import { sentEmails } from "../helpers/sink.ts";
import { eventually } from "../helpers/wait.ts";
import { asOwner } from "../helpers/database.ts";
import { createUser, staffToken, userToken } from "../helpers/identity.ts";
import { expectProblem, send, type Page } from "../helpers/http.ts";
import { call, type TestTenant } from "../helpers/tenants.ts";
import { age, ok, openTicket, outboxFor, supportTenant, type Comment, type Ticket } from "./support-helpers.ts";

const HOUR = 3600_000;
const NOTE = "Customer's CFO is difficult; refund approved up to $500 — do not mention";

let acme: TestTenant;
let globex: TestTenant;
let staff: { user: { id: string }; token: string };
beforeAll(async () => {
  acme = await supportTenant("standard");
  globex = await supportTenant("fintech");
  staff = await staffToken();
});

const admin = (path: string) => `/v1/admin/support/tickets${path}`;
const patch = (id: string, body: unknown) => send("PATCH", admin(`/${id}`), staff.token, body);
const reply = (id: string, body: string, internal = false) =>
  send("POST", admin(`/${id}/comments`), staff.token, { body, internal });

describe("staff queue", () => {
  it("lists every customer's tickets, nearest running deadline first, with filters", async () => {
    const a = await openTicket(acme.key, { priority: "low" }); // first response due in 48 h
    const b = await openTicket(globex.key, { priority: "critical" }); // 1 h
    const c = await openTicket(acme.key, { priority: "high" }); // 8 h
    await age(acme.customerId, c.id, 9 * HOUR); // overdue by 1 h: the nearest deadline
    const resolved = await openTicket(globex.key, { priority: "critical" });
    await ok(await patch(resolved.id, { status: "resolved" }));

    const queue = await ok<Page<Ticket>>(await call(admin("?limit=100"), { token: staff.token }));
    const ours = queue.data.map((t) => t.id).filter((id) => [a.id, b.id, c.id, resolved.id].includes(id));
    expect(ours).toEqual([c.id, b.id, a.id, resolved.id]);
    expect(queue.data.find((t) => t.id === b.id)).toMatchObject({
      customer: { id: globex.customerId, tier: "fintech" },
      assignee_id: null,
    });

    const breached = await ok<Page<Ticket>>(
      await call(admin(`?breached=true&customer_id=${acme.customerId}`), { token: staff.token }),
    );
    expect(breached.data.map((t) => t.id)).toEqual([c.id]);
    const notBreached = await ok<Page<Ticket>>(
      await call(admin(`?breached=false&customer_id=${acme.customerId}&priority=low`), { token: staff.token }),
    );
    expect(notBreached.data.map((t) => t.id)).toContain(a.id);
    const globexResolved = await ok<Page<Ticket>>(
      await call(admin(`?status=resolved&customer_id=${globex.customerId}`), { token: staff.token }),
    );
    expect(globexResolved.data.map((t) => t.id)).toEqual([resolved.id]);

    // Pages follow the same order.
    const first = await ok<Page<Ticket>>(
      await call(admin(`?customer_id=${acme.customerId}&limit=1`), { token: staff.token }),
    );
    expect(first.data[0]!.id).toBe(c.id);
    const second = await ok<Page<Ticket>>(
      await call(admin(`?customer_id=${acme.customerId}&limit=1&starting_after=${first.next_cursor}`), {
        token: staff.token,
      }),
    );
    expect(second.data[0]!.id).not.toBe(c.id);
  });

  it("is staff only: a customer's admin and API keys get a 403 on every staff route", async () => {
    const ticket = await openTicket(acme.key);
    const { token: customerAdmin } = await userToken(acme.customerId, "admin");
    for (const token of [customerAdmin, acme.key]) {
      await expectProblem(await call(admin(""), { token }), { status: 403 });
      await expectProblem(await call(admin(`/${ticket.id}`), { token }), { status: 403 });
      await expectProblem(await call(admin(`/${ticket.id}/comments`), { token }), { status: 403 });
      await expectProblem(await send("PATCH", admin(`/${ticket.id}`), token, { status: "closed" }), { status: 403 });
      await expectProblem(await send("POST", admin(`/${ticket.id}/comments`), token, { body: "x", internal: true }), {
        status: 403,
      });
    }
    await expectProblem(await call(admin("")), { status: 401 });
  });
});

describe("assignment and transitions", () => {
  it("assigns to a staff member and refuses anyone else (422)", async () => {
    const ticket = await openTicket(acme.key);
    const assigned = await ok<Ticket>(await patch(ticket.id, { assignee_id: staff.user.id }));
    expect(assigned.assignee_id).toBe(staff.user.id);
    const seen = await ok<Ticket>(await call(`/v1/support/tickets/${ticket.id}`, { token: acme.key }));
    expect(seen.assigned).toBe(true);
    expect(seen).not.toHaveProperty("assignee_id");
    const customerUser = await createUser(acme.customerId, { role: "admin" });
    await expectProblem(await patch(ticket.id, { assignee_id: customerUser.id }), {
      status: 422,
      type: "validation-error",
      field: "body.assignee_id",
    });
    const unassigned = await ok<Ticket>(await patch(ticket.id, { assignee_id: null }));
    expect(unassigned.assignee_id).toBeNull();
  });

  it("walks open → in_progress → waiting_on_customer → resolved → closed, and refuses illegal moves naming the allowed ones", async () => {
    const ticket = await openTicket(globex.key);
    for (const status of ["in_progress", "waiting_on_customer", "resolved", "closed"]) {
      expect((await ok<Ticket>(await patch(ticket.id, { status }))).status).toBe(status);
    }
    const closedMove = await expectProblem(await patch(ticket.id, { status: "open" }), {
      status: 409,
      type: "illegal-ticket-transition",
    });
    expect(closedMove.detail).toContain("No change is allowed from closed");

    const other = await openTicket(globex.key);
    await ok(await patch(other.id, { status: "resolved" }));
    const illegal = await expectProblem(await patch(other.id, { status: "waiting_on_customer" }), {
      status: 409,
      type: "illegal-ticket-transition",
    });
    expect(illegal.detail).toContain("Allowed from resolved: in_progress, closed");
    const inProgress = await openTicket(globex.key);
    await ok(await patch(inProgress.id, { status: "in_progress" }));
    const back = await expectProblem(await patch(inProgress.id, { status: "open" }), { status: 409 });
    expect(back.detail).toContain("Allowed from in_progress: waiting_on_customer, resolved, closed");

    const updates = (await outboxFor(globex.customerId)).filter(
      (e) => e.type === "ticket.updated" && e.payload.id === ticket.id,
    );
    expect(updates.map((e) => e.payload.status)).toEqual(["in_progress", "waiting_on_customer", "resolved", "closed"]);
  });

  it("lets the customer reopen within 7 days of resolution, not after", async () => {
    const ticket = await openTicket(acme.key);
    await ok(await patch(ticket.id, { status: "resolved" }));
    const reopened = await ok<Ticket>(
      await send("PATCH", `/v1/support/tickets/${ticket.id}`, acme.key, { status: "open" }),
    );
    expect(reopened).toMatchObject({ status: "open", resolved_at: null });

    const late = await openTicket(acme.key);
    await ok(await patch(late.id, { status: "resolved" }));
    await age(acme.customerId, late.id, 7 * 24 * HOUR + 60_000);
    const refused = await expectProblem(
      await send("PATCH", `/v1/support/tickets/${late.id}`, acme.key, { status: "open" }),
      { status: 409, type: "illegal-ticket-transition" },
    );
    expect(refused.detail).toContain("Allowed from resolved: closed");
  });

  it("another customer's ticket id is a 404 for staff only when it does not exist at all", async () => {
    await expectProblem(await call(admin("/019a0000-0000-7000-8000-00000000dead"), { token: staff.token }), {
      status: 404,
    });
    await expectProblem(await patch("019a0000-0000-7000-8000-00000000dead", { status: "closed" }), { status: 404 });
  });
});

describe("clocks", () => {
  it("the first staff reply stops the first-response clock; internal notes do not", async () => {
    const ticket = await openTicket(acme.key, { priority: "high" });
    await ok(await reply(ticket.id, "internal only", true), 201);
    let view = await ok<Ticket>(await call(`/v1/support/tickets/${ticket.id}`, { token: acme.key }));
    expect(view.sla.first_response).toMatchObject({ status: "pending", stopped_at: null });
    await ok(await reply(ticket.id, "We are on it"), 201);
    view = await ok<Ticket>(await call(`/v1/support/tickets/${ticket.id}`, { token: acme.key }));
    expect(view.sla.first_response).toMatchObject({ status: "met", remaining_seconds: null });
    expect(view.sla.first_response.stopped_at).not.toBeNull();
    await ok(await reply(ticket.id, "A second reply"), 201);
    const again = await ok<Ticket>(await call(`/v1/support/tickets/${ticket.id}`, { token: acme.key }));
    expect(again.sla.first_response.stopped_at).toBe(view.sla.first_response.stopped_at);
  });

  it("waiting_on_customer pauses the resolution clock; the customer's reply resumes it with the deadline moved back", async () => {
    const ticket = await openTicket(acme.key, { priority: "high" });
    const due = Date.parse(ticket.sla.resolution.due_at);
    await ok(await patch(ticket.id, { status: "waiting_on_customer" }));
    const paused = await ok<Ticket>(await call(`/v1/support/tickets/${ticket.id}`, { token: acme.key }));
    expect(paused.sla.resolution.status).toBe("paused");
    // Two hours pass while waiting (the pause started two hours earlier).
    await asOwner((client) =>
      asCustomer(client, acme.customerId, () =>
        client.query(
          "UPDATE support_tickets SET resolution_paused_at = resolution_paused_at - interval '2 hours' WHERE id = $1",
          [ticket.id],
        ),
      ),
    );
    const frozen = await ok<Ticket>(await call(`/v1/support/tickets/${ticket.id}`, { token: acme.key }));
    expect(frozen.sla.resolution.remaining_seconds).toBeGreaterThan(
      paused.sla.resolution.remaining_seconds! + 2 * 3600 - 5,
    );
    await ok(
      await send("POST", `/v1/support/tickets/${ticket.id}/comments`, acme.key, { body: "Here are the logs" }),
      201,
    );
    const resumed = await ok<Ticket>(await call(`/v1/support/tickets/${ticket.id}`, { token: acme.key }));
    expect(resumed).toMatchObject({ status: "in_progress", sla: { resolution: { status: "pending" } } });
    const shift = Date.parse(resumed.sla.resolution.due_at) - due;
    expect(shift).toBeGreaterThanOrEqual(2 * HOUR);
    expect(shift).toBeLessThan(2 * HOUR + 60_000);
  });
});

describe("internal notes", () => {
  it("no customer credential can read a note by any path: comments, ticket, audit, activity, events, notifications", async () => {
    const ticket = await openTicket(acme.key);
    const note = await ok<Comment>(await reply(ticket.id, NOTE, true), 201);
    expect(note).toMatchObject({ internal: true, author_type: "staff" });
    const publicReply = await ok<Comment>(await reply(ticket.id, "Thanks, looking into it"), 201);

    // Staff see both.
    const staffView = await ok<Page<Comment>>(await call(admin(`/${ticket.id}/comments`), { token: staff.token }));
    expect(staffView.data.map((c) => c.id)).toEqual([note.id, publicReply.id]);

    const { token: customerAdmin } = await userToken(acme.customerId, "admin");
    for (const token of [acme.key, customerAdmin]) {
      const comments = await ok<Page<Comment>>(
        await call(`/v1/support/tickets/${ticket.id}/comments?limit=100`, { token }),
      );
      expect(comments.data.map((c) => c.id)).toEqual([publicReply.id]);
      for (const path of [
        `/v1/support/tickets/${ticket.id}`,
        "/v1/support/tickets?limit=100",
        "/v1/audit-events?limit=100",
        "/v1/activity?limit=100",
      ]) {
        const response = await call(path, { token });
        expect([200, 403]).toContain(response.status);
        const text = await response.text();
        expect(text).not.toContain(NOTE);
        expect(text).not.toContain("refund approved");
      }
    }
    // Events and notifications: the outbox holds no event for the note, and nothing carries its text.
    const events = await outboxFor(acme.customerId);
    expect(events.some((e) => e.payload.comment_id === note.id)).toBe(false);
    expect(JSON.stringify(events)).not.toContain("refund approved");
    const stored = await asOwner((client) =>
      asCustomer(client, acme.customerId, async () => {
        const outbox = await client.query("SELECT payload::text AS p FROM outbox_events WHERE customer_id = $1", [
          acme.customerId,
        ]);
        const notices = await client.query("SELECT title || body AS t FROM notifications WHERE customer_id = $1", [
          acme.customerId,
        ]);
        const audit = await client.query("SELECT summary || data::text AS t FROM audit_events WHERE customer_id = $1", [
          acme.customerId,
        ]);
        return [
          ...outbox.rows.map((r) => r.p as string),
          ...notices.rows.map((r) => r.t as string),
          ...audit.rows.map((r) => r.t as string),
        ];
      }),
    );
    expect(stored.join("\n")).not.toContain("refund approved");
  });

  it("the database itself hides notes from a customer context and refuses a note written by one", async () => {
    const ticket = await openTicket(globex.key);
    const note = await ok<Comment>(await reply(ticket.id, NOTE, true), 201);
    const { rows } = await asOwner((client) =>
      asCustomer(client, globex.customerId, () =>
        client.query("SELECT id FROM ticket_comments WHERE ticket_id = $1", [ticket.id]),
      ),
    );
    expect(rows.map((r) => r.id)).not.toContain(note.id);
    await expect(
      asOwner((client) =>
        asCustomer(client, globex.customerId, () =>
          client.query(
            "INSERT INTO ticket_comments (customer_id, ticket_id, author_type, body, internal) VALUES ($1, $2, 'staff', 'forged', true)",
            [globex.customerId, ticket.id],
          ),
        ),
      ),
    ).rejects.toThrow(/row-level security/);
  });

  it("a public reply notifies the customer's support users (in-app and email); a note notifies nobody", async () => {
    const tenant = await supportTenant();
    const { user, token } = await userToken(tenant.customerId, "support");
    const ticket = await openTicket(tenant.key);
    await ok(await reply(ticket.id, NOTE, true), 201);
    await ok(await reply(ticket.id, "We have restored the export."), 201);
    // The minute sweep publishes whatever the request did not; the consumer fans out.
    await worker.scheduled(
      createScheduledController({ scheduledTime: new Date(Date.now() + 60_000), cron: "* * * * *" }),
      env,
    );
    const notices = await eventually(async () => {
      const list = await (
        await ok<Page<{ title: string; body: string }>>(await call("/v1/notifications?limit=100", { token }))
      ).data;
      expect(
        list.some((n) => n.title === "SecureBase support replied to your ticket"),
        'list.some((n) => n.title === "SecureBase support replied to your ticket")',
      ).toBe(true);
      return list;
    });
    const replies = notices.filter((n) => n.title === "SecureBase support replied to your ticket");
    expect(replies).toHaveLength(1);
    expect(replies[0]!.body).toContain("We have restored the export.");
    expect(JSON.stringify(notices)).not.toContain("refund approved");
    // (The support user's sign-in from a new device was emailed too: wait for the reply's email.)
    const mail = await eventually(async () => {
      const list = (await sentEmails()).filter(
        (e) =>
          e.body.Destination.ToAddresses.includes(user.email) &&
          !e.body.Content.Simple.Subject.Data.startsWith("New sign-in"),
      );
      expect(list.length > 0, "an email about the ticket").toBe(true);
      return list;
    });
    expect(JSON.stringify(mail)).toContain("We have restored the export.");
    expect(JSON.stringify(mail)).not.toContain("refund approved");
    // The link opens the ticket's page in the portal (docs/portal.md, "Links in email").
    expect(mail[0]!.body.Content.Simple.Body.Text.Data).toContain(portalLink(env, `/support/tickets/${ticket.id}`));
  });

  it("a customer cannot post a note: `internal` is not a field of the customer comment", async () => {
    const ticket = await openTicket(acme.key);
    await expectProblem(
      await send("POST", `/v1/support/tickets/${ticket.id}/comments`, acme.key, { body: "x", internal: true }),
      { status: 422, field: "body" },
    );
  });
});
