// Customer support routes: opening tickets with SLA deadlines from the tier × priority table,
// listing with filters and cursor, editing while open, closing, reopening within 7 days of
// resolution, comments; tenancy (another customer's ticket is a 404 on every route), permissions.
import { beforeAll, describe, expect, it } from "vitest";
import { staffToken, userToken } from "../helpers/identity.ts";
import { expectProblem, expectSameAsMissing, send, type Page } from "../helpers/http.ts";
import { call, createTenant, type TestTenant } from "../helpers/tenants.ts";
import { age, ok, openTicket, outboxFor, supportTenant, type Comment, type Ticket } from "./support-helpers.ts";

const HOUR = 3600_000;
const MISSING = "019a0000-0000-7000-8000-00000000dead";

let acme: TestTenant;
let globex: TestTenant;
beforeAll(async () => {
  acme = await supportTenant("standard");
  globex = await supportTenant("gov_federal");
});

describe("POST /v1/support/tickets", () => {
  it("opens a ticket with deadlines from sla_policies (tier × priority), audited and emitted", async () => {
    const before = Date.now();
    const ticket = await openTicket(acme.key, {
      subject: "  NAT billed twice  ",
      priority: "critical",
      category: "billing",
    });
    expect(ticket).toMatchObject({
      object: "support_ticket",
      subject: "NAT billed twice",
      status: "open",
      priority: "critical",
      category: "billing",
      assigned: false,
    });
    // standard/critical: first response 4 h, resolution 24 h.
    const created = Date.parse(ticket.created_at);
    expect(created).toBeGreaterThanOrEqual(before - 1000);
    expect(Date.parse(ticket.sla.first_response.due_at) - created).toBe(4 * HOUR);
    expect(Date.parse(ticket.sla.resolution.due_at) - created).toBe(24 * HOUR);
    expect(ticket.sla).toMatchObject({
      tier: "standard",
      breached: false,
      first_response: { status: "pending", stopped_at: null },
    });
    expect(ticket.sla.first_response.remaining_seconds).toBeGreaterThan(4 * 3600 - 60);

    const gov = await openTicket(globex.key, { priority: "critical" });
    // gov_federal/critical: 1 h and 4 h — tighter than standard's.
    expect(Date.parse(gov.sla.first_response.due_at) - Date.parse(gov.created_at)).toBe(1 * HOUR);
    expect(Date.parse(gov.sla.resolution.due_at) - Date.parse(gov.created_at)).toBe(4 * HOUR);

    const events = await outboxFor(acme.customerId);
    expect(events.find((e) => e.payload.id === ticket.id)).toMatchObject({
      type: "ticket.created",
      payload: { priority: "critical", subject: "NAT billed twice" },
    });
    const audit = await ok<Page<{ action: string; resource: { id: string } }>>(
      await call(`/v1/audit-events?resource_id=${ticket.id}`, { token: acme.key }),
    );
    expect(audit.data.map((e) => e.action)).toEqual(["ticket.created"]);
  });

  it("takes a minimal body (subject and priority; the description defaults to the subject)", async () => {
    const ticket = await ok<Ticket>(
      await send("POST", "/v1/support/tickets", acme.key, { subject: "Test", priority: "medium" }),
      201,
    );
    expect(ticket).toMatchObject({ subject: "Test", description: "Test", priority: "medium" });
  });

  it("links an invoice of the caller's own, and refuses another tenant's invoice as if it did not exist", async () => {
    const withInvoice = await createTenant({ invoices: 1, scopes: ["support:read", "support:write"] });
    const mine = await openTicket(withInvoice.key, {
      related_resource: { type: "invoice", id: withInvoice.invoiceIds[0] },
    });
    expect(mine.related_resource).toEqual({ type: "invoice", id: withInvoice.invoiceIds[0] });
    const theirs = await send("POST", "/v1/support/tickets", acme.key, {
      subject: "x",
      priority: "low",
      related_resource: { type: "invoice", id: withInvoice.invoiceIds[0] },
    });
    await expectProblem(theirs, { status: 422, type: "validation-error", field: "body.related_resource.id" });
  });

  it("refuses bad input with a 422 naming the field, and writes nothing", async () => {
    await expectProblem(await send("POST", "/v1/support/tickets", acme.key, { subject: "x", priority: "urgent" }), {
      status: 422,
      field: "body.priority",
    });
    await expectProblem(await send("POST", "/v1/support/tickets", acme.key, { subject: "", priority: "low" }), {
      status: 422,
      field: "body.subject",
    });
    await expectProblem(
      await send("POST", "/v1/support/tickets", acme.key, { subject: "x".repeat(201), priority: "low" }),
      { status: 422, field: "body.subject" },
    );
    await expectProblem(
      await send("POST", "/v1/support/tickets", acme.key, { subject: "x", description: "   ", priority: "low" }),
      { status: 422, field: "body.description" },
    );
    await expectProblem(
      await send("POST", "/v1/support/tickets", acme.key, { subject: "x", priority: "low", status: "resolved" }),
      { status: 422, field: "body" },
    );
    const list = await ok<Page<Ticket>>(await call("/v1/support/tickets?limit=100", { token: acme.key }));
    expect(list.data.some((t) => t.subject === "" || (t.priority as string) === "urgent")).toBe(false);
  });

  it("stores text as given (markup is data, not HTML)", async () => {
    const body = '<script>alert(1)</script>\n  indented & "quoted" ☃';
    const ticket = await openTicket(acme.key, { description: body });
    expect(ticket.description).toBe(body);
  });
});

describe("GET /v1/support/tickets", () => {
  it("lists the caller's tickets newest first, filters by status, priority and creation time, and pages", async () => {
    const tenant = await supportTenant();
    const low = await openTicket(tenant.key, { priority: "low" });
    const high = await openTicket(tenant.key, { priority: "high" });
    const third = await openTicket(tenant.key, { priority: "high" });
    await age(tenant.customerId, low.id, 48 * HOUR);
    await ok(await send("PATCH", `/v1/support/tickets/${third.id}`, tenant.key, { status: "closed" }));

    const all = await ok<Page<Ticket>>(await call("/v1/support/tickets", { token: tenant.key }));
    expect(all.data.map((t) => t.id)).toEqual([third.id, high.id, low.id]);
    const highs = await ok<Page<Ticket>>(
      await call("/v1/support/tickets?priority=high&status=open", { token: tenant.key }),
    );
    expect(highs.data.map((t) => t.id)).toEqual([high.id]);
    const since = new Date(Date.now() - HOUR).toISOString();
    const recent = await ok<Page<Ticket>>(
      await call(`/v1/support/tickets?created_after=${since}`, { token: tenant.key }),
    );
    expect(recent.data.map((t) => t.id)).toEqual([third.id, high.id]);
    const older = await ok<Page<Ticket>>(
      await call(`/v1/support/tickets?created_before=${since}`, { token: tenant.key }),
    );
    expect(older.data.map((t) => t.id)).toEqual([low.id]);

    const first = await ok<Page<Ticket>>(await call("/v1/support/tickets?limit=2", { token: tenant.key }));
    expect(first).toMatchObject({ has_more: true, next_cursor: high.id });
    const second = await ok<Page<Ticket>>(
      await call(`/v1/support/tickets?limit=2&starting_after=${first.next_cursor}`, { token: tenant.key }),
    );
    expect(second).toMatchObject({ has_more: false, next_cursor: null });
    expect(second.data.map((t) => t.id)).toEqual([low.id]);
  });

  it("refuses bad filters with a 400 naming the parameter", async () => {
    await expectProblem(await call("/v1/support/tickets?status=done", { token: acme.key }), {
      status: 400,
      field: "query.status",
    });
    await expectProblem(await call("/v1/support/tickets?created_after=yesterday", { token: acme.key }), {
      status: 400,
      field: "query.created_after",
    });
  });
});

describe("PATCH /v1/support/tickets/{id}", () => {
  it("edits subject and description while open, and refuses once staff work has started (409)", async () => {
    const ticket = await openTicket(acme.key);
    const edited = await ok<Ticket>(
      await send("PATCH", `/v1/support/tickets/${ticket.id}`, acme.key, {
        subject: "Clearer subject",
        description: "More detail",
      }),
    );
    expect(edited).toMatchObject({ subject: "Clearer subject", description: "More detail", status: "open" });
    await ok(await send("PATCH", `/v1/support/tickets/${ticket.id}`, acme.key, { status: "closed" }));
    const refused = await expectProblem(
      await send("PATCH", `/v1/support/tickets/${ticket.id}`, acme.key, { subject: "Too late" }),
      { status: 409, type: "ticket-not-editable" },
    );
    expect(refused.detail).toContain("closed");
    const events = (await outboxFor(acme.customerId)).filter(
      (e) => e.type === "ticket.updated" && e.payload.id === ticket.id,
    );
    expect(events.map((e) => e.payload.changed)).toEqual([["subject", "description"], ["status"]]);
  });

  it("closes; a closed, never-resolved ticket cannot be reopened (409 naming what is allowed)", async () => {
    const ticket = await openTicket(acme.key);
    const closed = await ok<Ticket>(
      await send("PATCH", `/v1/support/tickets/${ticket.id}`, acme.key, { status: "closed" }),
    );
    expect(closed.status).toBe("closed");
    expect(closed.closed_at).not.toBeNull();
    const refused = await expectProblem(
      await send("PATCH", `/v1/support/tickets/${ticket.id}`, acme.key, { status: "open" }),
      { status: 409, type: "illegal-ticket-transition" },
    );
    expect(refused.detail).toContain("No change is allowed from closed");
  });

  it("needs at least one field and no unknown ones", async () => {
    const ticket = await openTicket(acme.key);
    await expectProblem(await send("PATCH", `/v1/support/tickets/${ticket.id}`, acme.key, {}), { status: 422 });
    await expectProblem(await send("PATCH", `/v1/support/tickets/${ticket.id}`, acme.key, { status: "resolved" }), {
      status: 422,
      field: "body.status",
    });
    await expectProblem(await send("PATCH", `/v1/support/tickets/${ticket.id}`, acme.key, { priority: "low" }), {
      status: 422,
      field: "body",
    });
  });
});

describe("comments", () => {
  it("adds and lists the customer's comments oldest first, emitting ticket.comment.created with an excerpt", async () => {
    const ticket = await openTicket(acme.key);
    const long = "y".repeat(1000);
    const a = await ok<Comment>(
      await send("POST", `/v1/support/tickets/${ticket.id}/comments`, acme.key, { body: "first" }),
      201,
    );
    const b = await ok<Comment>(
      await send("POST", `/v1/support/tickets/${ticket.id}/comments`, acme.key, { body: long }),
      201,
    );
    expect(a).toMatchObject({ ticket_id: ticket.id, author_type: "customer", body: "first" });
    const page = await ok<Page<Comment>>(
      await call(`/v1/support/tickets/${ticket.id}/comments?limit=1`, { token: acme.key }),
    );
    expect(page.data.map((c) => c.id)).toEqual([a.id]);
    const next = await ok<Page<Comment>>(
      await call(`/v1/support/tickets/${ticket.id}/comments?starting_after=${page.next_cursor}`, { token: acme.key }),
    );
    expect(next.data.map((c) => c.id)).toEqual([b.id]);
    const event = (await outboxFor(acme.customerId)).find(
      (e) => e.type === "ticket.comment.created" && e.payload.comment_id === b.id,
    );
    expect((event!.payload.excerpt as string).length).toBe(280);
  });

  it("refuses a blank comment (422) and any comment on a closed ticket (409)", async () => {
    const ticket = await openTicket(acme.key);
    await expectProblem(await send("POST", `/v1/support/tickets/${ticket.id}/comments`, acme.key, { body: " \n " }), {
      status: 422,
      field: "body.body",
    });
    await ok(await send("PATCH", `/v1/support/tickets/${ticket.id}`, acme.key, { status: "closed" }));
    await expectProblem(await send("POST", `/v1/support/tickets/${ticket.id}/comments`, acme.key, { body: "hello?" }), {
      status: 409,
      type: "ticket-closed",
    });
  });
});

describe("security", () => {
  it("another customer's ticket is a 404 on every route, like a missing one, and changes nothing", async () => {
    const theirs = await openTicket(globex.key, { subject: "Globex private" });
    const routes: [string, string, unknown?][] = [
      ["GET", ""],
      ["PATCH", "", { subject: "pwned" }],
      ["PATCH", "", { status: "closed" }],
      ["GET", "/comments"],
      ["POST", "/comments", { body: "pwned" }],
    ];
    for (const [method, suffix, body] of routes) {
      const attempt = await send(method, `/v1/support/tickets/${theirs.id}${suffix}`, acme.key, body);
      const missing = await send(method, `/v1/support/tickets/${MISSING}${suffix}`, acme.key, body);
      await expectSameAsMissing(attempt, missing);
    }
    const list = await ok<Page<Ticket>>(await call("/v1/support/tickets?limit=100", { token: acme.key }));
    expect(list.data.some((t) => t.id === theirs.id)).toBe(false);
    const after = await ok<Ticket>(await call(`/v1/support/tickets/${theirs.id}`, { token: globex.key }));
    expect(after).toMatchObject({ subject: "Globex private", status: "open" });
    const comments = await ok<Page<Comment>>(
      await call(`/v1/support/tickets/${theirs.id}/comments`, { token: globex.key }),
    );
    expect(comments.data).toEqual([]);
  });

  it("needs credentials (401) and the support permissions (403)", async () => {
    await expectProblem(await call("/v1/support/tickets"), { status: 401 });
    const noSupport = await createTenant({ scopes: ["invoices:read"] });
    await expectProblem(await call("/v1/support/tickets", { token: noSupport.key }), { status: 403 });
    await expectProblem(await send("POST", "/v1/support/tickets", noSupport.key, { subject: "x", priority: "low" }), {
      status: 403,
    });
    const { token: viewer } = await userToken(acme.customerId, "viewer");
    expect((await call("/v1/support/tickets", { token: viewer })).status).toBe(200);
    await expectProblem(await send("POST", "/v1/support/tickets", viewer, { subject: "x", priority: "low" }), {
      status: 403,
    });
  });

  it("staff credentials on the customer routes still see only their own organization's tickets", async () => {
    const staff = await staffToken();
    const list = await ok<Page<Ticket>>(await call("/v1/support/tickets?limit=100", { token: staff.token }));
    expect(list.data).toEqual([]);
    const theirs = await openTicket(acme.key);
    expect((await call(`/v1/support/tickets/${theirs.id}`, { token: staff.token })).status).toBe(404);
  });
});
