// Platform administration: SecureBase staff (super_admin) onboard, list, change, suspend and
// reactivate customers; nobody else may, not even a customer's own admin.
import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { eventually } from "../helpers/wait.ts";
import { asCustomer } from "../../dev/fixtures.ts";
import { hashApiKey } from "../../worker/auth/api-key.ts";
import { principalKvKey } from "../../worker/auth/principal-cache.ts";
import { toHex as hex } from "../../worker/platform/encoding.ts";
import { hashInviteToken } from "../../worker/users/invite-token.ts";
import { adminQuery } from "../helpers/billing.ts";
import { asApiRole, asOwner } from "../helpers/database.ts";
import { createUser, randomIp, staffToken, userToken } from "../helpers/identity.ts";
import { emailedInviteToken } from "../helpers/sink.ts";
import { call, createTenant, type TestTenant } from "../helpers/tenants.ts";
import { send, type Page, type Problem, type Schemas } from "../helpers/http.ts";

type CustomerBody = Schemas["Customer"];
type Onboarded = Schemas["OnboardedCustomer"];

let counter = 0;
const unique = () => `${Date.now().toString(36)}${(counter++).toString(36)}${Math.random().toString(36).slice(2, 6)}`;

const newCustomerBody = (overrides: Record<string, unknown> = {}) => {
  const tag = unique();
  return {
    name: `Onboarded ${tag}`,
    email: `billing+${tag}@example.com`,
    tier: "healthcare",
    admin: { email: `admin-${tag}@example.com` },
    ...overrides,
  };
};

async function onboard(overrides: Record<string, unknown> = {}): Promise<Onboarded> {
  const response = await send("POST", "/v1/admin/customers", staff, newCustomerBody(overrides));
  expect(response.status).toBe(201);
  return response.json<Onboarded>();
}

/** The customer's audit events, read like a request of that customer would (sb_api + its context). */
async function auditRows(customerId: string) {
  return asApiRole((client) =>
    asCustomer(
      client,
      customerId,
      async () =>
        (
          await client.query(
            "SELECT seq, action, actor_type, actor_id, resource_type, resource_id, data FROM audit_events ORDER BY seq",
            [],
          )
        ).rows,
    ),
  );
}

async function verifyChain(customerId: string) {
  return asApiRole((client) =>
    asCustomer(client, customerId, async () => (await client.query("SELECT * FROM app.verify_audit_chain()")).rows[0]),
  );
}

async function expectFields(response: Response, status: number, fields: string[]) {
  expect(response.status).toBe(status);
  expect(response.headers.get("content-type")).toBe("application/problem+json");
  const body = await response.json<Problem>();
  expect(body.errors!.map((e) => e.field)).toEqual(expect.arrayContaining(fields));
}

let staff: string;
let staffUserId: string;
let staffCustomerId: string;
let tenant: TestTenant;
let tenantAdmin: string;
beforeAll(async () => {
  const s = await staffToken();
  staff = s.token;
  staffUserId = s.user.id;
  staffCustomerId = s.user.customerId;
  tenant = await createTenant();
  tenantAdmin = (await userToken(tenant.customerId, "admin")).token;
});

describe("who may administer customers", () => {
  const routes: [string, () => string, unknown?][] = [
    ["POST", () => "/v1/admin/customers", newCustomerBody()],
    ["GET", () => "/v1/admin/customers"],
    ["GET", () => `/v1/admin/customers/${tenant.customerId}`],
    ["PATCH", () => `/v1/admin/customers/${tenant.customerId}`, { tier: "gov_federal" }],
  ];

  it.each(routes)("%s %s without credentials is a 401", async (method, path, body) => {
    const response = await send(method, path(), undefined, body);
    expect(response.status).toBe(401);
    expect(response.headers.get("www-authenticate")).toContain("Bearer");
  });

  it.each(routes)("%s %s by a customer's own admin user is a 403", async (method, path, body) => {
    const response = await send(method, path(), tenantAdmin, body);
    expect(response.status).toBe(403);
    expect((await response.json<Problem>()).detail).toMatch(/super_admin/);
  });

  it.each(routes)("%s %s with an API key is a 403", async (method, path, body) => {
    expect((await send(method, path(), tenant.key, body)).status).toBe(403);
  });

  it("leaves the customer untouched after refused changes", async () => {
    const row = await asOwner((client) =>
      asCustomer(
        client,
        tenant.customerId,
        async () =>
          (await client.query("SELECT tier, status FROM customers WHERE id = $1", [tenant.customerId])).rows[0],
      ),
    );
    expect(row).toEqual({ tier: "standard", status: "active" });
  });
});

describe("POST /v1/admin/customers", () => {
  it("onboards a customer with its first admin's invite, outbox event and audit event, in the new customer's chain", async () => {
    const body = newCustomerBody({ tier: "fintech", tax_rate_bps: 725, email: `Billing+${unique()}@Example.com` });
    const response = await send("POST", "/v1/admin/customers", staff, body);
    expect(response.status).toBe(201);
    const created = await response.json<Onboarded>();
    const id = created.customer.id;
    expect(response.headers.get("location")).toBe(`/v1/admin/customers/${id}`);
    expect(created.customer).toMatchObject({
      object: "customer",
      name: body.name,
      email: (body.email as string).toLowerCase(),
      tier: "fintech",
      status: "active",
      tax_rate_bps: 725,
    });
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(created.admin_invite).toMatchObject({ email: body.admin.email, role: "admin" });
    const expiresIn = Date.parse(created.admin_invite.expires_at) - Date.now();
    expect(expiresIn).toBeGreaterThan(6.9 * 86_400_000);
    expect(expiresIn).toBeLessThanOrEqual(7 * 86_400_000);
    // The token goes to the invited admin's email only, never to the staff member onboarding.
    expect(Object.keys(created.admin_invite).sort()).toEqual(["email", "expires_at", "id", "role"]);
    const acceptToken = await emailedInviteToken(body.admin.email);

    // The invite and the outbox event belong to the new customer; only the token's hash is stored.
    const { invite, outbox } = await asOwner((client) =>
      asCustomer(client, id, async () => ({
        invite: (
          await client.query(
            "SELECT id, customer_id, email, role, invited_by, encode(token_hash, 'hex') AS token_hash, accepted_at FROM user_invites",
          )
        ).rows,
        outbox: (await client.query("SELECT customer_id, type, payload FROM outbox_events")).rows,
      })),
    );
    expect(invite).toEqual([
      {
        id: created.admin_invite.id,
        customer_id: id,
        email: body.admin.email,
        role: "admin",
        invited_by: staffUserId,
        token_hash: hex(await hashInviteToken(acceptToken)),
        accepted_at: null,
      },
    ]);
    expect(outbox).toEqual([
      {
        customer_id: id,
        type: "user.invited",
        payload: expect.objectContaining({
          invite_id: created.admin_invite.id,
          email: body.admin.email,
          role: "admin",
          expires_at: created.admin_invite.expires_at,
        }),
      },
    ]);
    // The accept link is never readable at rest: sealed until the email is sent, then gone.
    expect(JSON.stringify(outbox)).not.toContain(acceptToken);
    expect(outbox[0]!.payload).not.toHaveProperty("accept_url");

    // customer.created is the first event of the new customer's chain, by the staff member.
    expect(await auditRows(id)).toEqual([
      expect.objectContaining({
        seq: "1",
        action: "customer.created",
        actor_type: "staff",
        actor_id: staffUserId,
        resource_type: "customer",
        resource_id: id,
      }),
    ]);
    expect(await verifyChain(id)).toMatchObject({ valid: true, checked: "1" });
    // ...and not in the staff's own customer's chain.
    expect((await auditRows(staffCustomerId)).some((e) => e.action === "customer.created")).toBe(false);
  });

  it("defaults the tax rate to 800 bps", async () => {
    const created = await onboard({ tier: "standard" });
    expect(created.customer).toMatchObject({ tier: "standard", tax_rate_bps: 800 });
  });

  it("rejects an invalid body with a 422 naming every bad field", async () => {
    const response = await send("POST", "/v1/admin/customers", staff, {
      name: "",
      email: "not-an-email",
      tier: "platinum",
      tax_rate_bps: 10_001,
      admin: { email: "nobody" },
    });
    await expectFields(response, 422, [
      "body.name",
      "body.email",
      "body.tier",
      "body.tax_rate_bps",
      "body.admin.email",
    ]);
  });

  it("rejects a missing admin and a fractional tax rate with 422s", async () => {
    const { admin: _admin, ...withoutAdmin } = newCustomerBody();
    await expectFields(await send("POST", "/v1/admin/customers", staff, withoutAdmin), 422, ["body.admin"]);
    await expectFields(await send("POST", "/v1/admin/customers", staff, newCustomerBody({ tax_rate_bps: 1.5 })), 422, [
      "body.tax_rate_bps",
    ]);
  });

  it("replays the first response for a retried Idempotency-Key instead of onboarding twice", async () => {
    const body = newCustomerBody();
    const key = `onboard-${unique()}`;
    const post = () =>
      call("/v1/admin/customers", {
        method: "POST",
        token: staff,
        headers: { "content-type": "application/json", "idempotency-key": key },
        body: JSON.stringify(body),
      });
    const first = await post();
    expect(first.status).toBe(201);
    const replay = await post();
    expect(replay.status).toBe(201);
    expect(replay.headers.get("idempotent-replayed")).toBe("true");
    const [a, b] = [await first.json<Onboarded>(), await replay.json<Onboarded>()];
    expect(b.customer.id).toBe(a.customer.id);
    const list = await (await call("/v1/admin/customers?limit=100", { token: staff })).json<Page<CustomerBody>>();
    expect(list.data.filter((c) => c.name === body.name)).toHaveLength(1);
  });

  it("refuses an admin email that already belongs to a user, creating nothing", async () => {
    const existing = await createUser(tenant.customerId, { role: "viewer" });
    const body = newCustomerBody({ admin: { email: existing.email } });
    await expectFields(await send("POST", "/v1/admin/customers", staff, body), 422, ["body.admin.email"]);
    const list = await (await send("GET", "/v1/admin/customers?limit=100", staff)).json<Page<CustomerBody>>();
    expect(list.data.some((c) => c.name === body.name)).toBe(false);
  });
});

describe("GET /v1/admin/customers", () => {
  let created: Onboarded[];
  beforeAll(async () => {
    created = [
      await onboard({ tier: "gov_federal" }),
      await onboard({ tier: "gov_federal" }),
      await onboard({ tier: "gov_federal" }),
    ];
  });

  it("lists every customer (any tenant) for staff, newest first, paginated", async () => {
    const first = await (await send("GET", "/v1/admin/customers?limit=2", staff)).json<Page<CustomerBody>>();
    expect(first.data.map((c) => c.id)).toEqual([created[2]!.customer.id, created[1]!.customer.id]);
    expect(first).toMatchObject({ has_more: true, next_cursor: created[1]!.customer.id });
    const second = await (
      await send("GET", `/v1/admin/customers?limit=2&starting_after=${first.next_cursor}`, staff)
    ).json<Page<CustomerBody>>();
    expect(second.data[0]!.id).toBe(created[0]!.customer.id);
    expect(second.data[0]).toMatchObject({ object: "customer", tier: "gov_federal", status: "active" });
  });

  it("shows customers of other tenants too, including the test tenant", async () => {
    const ids: string[] = [];
    let cursor: string | null = null;
    do {
      const query: string = cursor ? `?limit=100&starting_after=${cursor}` : "?limit=100";
      const page: Page<CustomerBody> = await (await send("GET", `/v1/admin/customers${query}`, staff)).json<
        Page<CustomerBody>
      >();
      ids.push(...page.data.map((c) => c.id));
      cursor = page.next_cursor;
    } while (cursor);
    expect(ids).toEqual(
      expect.arrayContaining([tenant.customerId, staffCustomerId, ...created.map((c) => c.customer.id)]),
    );
  });

  it("filters by tier and by status", async () => {
    const federal = await (await send("GET", "/v1/admin/customers?tier=gov_federal&limit=100", staff)).json<
      Page<CustomerBody>
    >();
    expect(federal.data.length).toBeGreaterThanOrEqual(3);
    expect(federal.data.every((c) => c.tier === "gov_federal")).toBe(true);

    const target = await onboard({ tier: "fintech" });
    await send("PATCH", `/v1/admin/customers/${target.customer.id}`, staff, { status: "suspended" });
    const suspended = await (await send("GET", "/v1/admin/customers?status=suspended&limit=100", staff)).json<
      Page<CustomerBody>
    >();
    expect(suspended.data.map((c) => c.id)).toContain(target.customer.id);
    expect(suspended.data.every((c) => c.status === "suspended")).toBe(true);
    const active = await (await send("GET", "/v1/admin/customers?status=active&tier=fintech&limit=100", staff)).json<
      Page<CustomerBody>
    >();
    expect(active.data.map((c) => c.id)).not.toContain(target.customer.id);
    expect(active.data.every((c) => c.status === "active" && c.tier === "fintech")).toBe(true);
  });

  it.each([
    ["status=deleted", "query.status"],
    ["tier=gold", "query.tier"],
    ["limit=0", "query.limit"],
    ["starting_after=nope", "query.starting_after"],
  ])("rejects %s with a 400 naming %s", async (query, field) => {
    await expectFields(await send("GET", `/v1/admin/customers?${query}`, staff), 400, [field]);
  });
});

describe("GET /v1/admin/customers/{id}", () => {
  it("returns any customer to staff", async () => {
    const response = await send("GET", `/v1/admin/customers/${tenant.customerId}`, staff);
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({
      id: tenant.customerId,
      object: "customer",
      tier: "standard",
      status: "active",
      tax_rate_bps: 800,
    });
  });

  it("answers 404 for an id that is no customer", async () => {
    const response = await send("GET", "/v1/admin/customers/01900000-0000-7000-8000-000000000000", staff);
    expect(response.status).toBe(404);
    expect(await response.json()).toMatchObject({ status: 404, title: "Not found" });
  });

  it("rejects a malformed id with a 400 naming param.id", async () => {
    await expectFields(await send("GET", "/v1/admin/customers/123", staff), 400, ["param.id"]);
  });
});

describe("PATCH /v1/admin/customers/{id}", () => {
  it("changes tier, name and tax rate, audited as customer.updated in that customer's chain", async () => {
    const { customer } = await onboard({ tier: "standard" });
    const response = await send("PATCH", `/v1/admin/customers/${customer.id}`, staff, {
      tier: "healthcare",
      name: "Renamed Inc",
      tax_rate_bps: 0,
    });
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({
      id: customer.id,
      tier: "healthcare",
      name: "Renamed Inc",
      tax_rate_bps: 0,
      status: "active",
    });

    const events = await auditRows(customer.id);
    expect(events.map((e) => e.action)).toEqual(["customer.created", "customer.updated"]);
    expect(events[1]).toMatchObject({
      actor_type: "staff",
      actor_id: staffUserId,
      resource_type: "customer",
      resource_id: customer.id,
    });
    expect(events[1]!.data).toEqual({
      changes: {
        tier: { from: "standard", to: "healthcare" },
        name: { from: customer.name, to: "Renamed Inc" },
        tax_rate_bps: { from: 800, to: 0 },
      },
    });
    expect(await verifyChain(customer.id)).toMatchObject({ valid: true, checked: "2" });
    const read = await (await send("GET", `/v1/admin/customers/${customer.id}`, staff)).json<CustomerBody>();
    expect(read).toMatchObject({ tier: "healthcare", name: "Renamed Inc", tax_rate_bps: 0 });
  });

  it("writes nothing and audits nothing when the patch changes nothing", async () => {
    const { customer } = await onboard({ tier: "fintech" });
    const response = await send("PATCH", `/v1/admin/customers/${customer.id}`, staff, { tier: "fintech" });
    expect(response.status).toBe(200);
    expect((await auditRows(customer.id)).map((e) => e.action)).toEqual(["customer.created"]);
  });

  it("answers 404 for an id that is no customer", async () => {
    const response = await send("PATCH", "/v1/admin/customers/01900000-0000-7000-8000-000000000000", staff, {
      tier: "fintech",
    });
    expect(response.status).toBe(404);
  });

  it("rejects a malformed id with a 400 naming param.id", async () => {
    await expectFields(await send("PATCH", "/v1/admin/customers/not-a-uuid", staff, { tier: "fintech" }), 400, [
      "param.id",
    ]);
  });

  it("rejects invalid values with a 422 naming every bad field", async () => {
    const response = await send("PATCH", `/v1/admin/customers/${tenant.customerId}`, staff, {
      name: "",
      tier: "gold",
      status: "closed",
      tax_rate_bps: -1,
    });
    await expectFields(response, 422, ["body.name", "body.tier", "body.status", "body.tax_rate_bps"]);
  });

  it("rejects an empty patch with a 422", async () => {
    const response = await send("PATCH", `/v1/admin/customers/${tenant.customerId}`, staff, {});
    expect(response.status).toBe(422);
    expect((await response.json<Problem>()).errors![0]!.field).toBe("body");
  });

  it("refuses to change a closed customer with a 409", async () => {
    const { customer } = await onboard({ tier: "standard" });
    await asOwner((client) =>
      asCustomer(client, customer.id, () =>
        client.query("UPDATE customers SET status = 'closed' WHERE id = $1", [customer.id]),
      ),
    );
    const response = await send("PATCH", `/v1/admin/customers/${customer.id}`, staff, { status: "active" });
    expect(response.status).toBe(409);
    expect(await response.json()).toMatchObject({ status: 409, title: "Customer closed" });
    expect((await auditRows(customer.id)).map((e) => e.action)).toEqual(["customer.created"]);
  });

  it("refuses to suspend the staff member's own customer", async () => {
    await expectFields(
      await send("PATCH", `/v1/admin/customers/${staffCustomerId}`, staff, { status: "suspended" }),
      422,
      ["body.status"],
    );
  });
});

describe("suspension", () => {
  let victim: TestTenant;
  let userEmail: string;
  let userPassword: string;
  let userSession: string;
  let keySession: string;

  const loginAs = (email: string, password: string) =>
    call("/v1/auth/login", {
      method: "POST",
      headers: { "content-type": "application/json", "cf-connecting-ip": randomIp() },
      body: JSON.stringify({ email, password }),
    });

  beforeAll(async () => {
    victim = await createTenant({ invoices: 1 });
    const { user, token } = await userToken(victim.customerId, "admin");
    userEmail = user.email;
    userPassword = user.password;
    userSession = token;
    keySession = (
      await (await call("/v1/auth/token", { method: "POST", token: victim.key })).json<{ session_token: string }>()
    ).session_token;
  });

  it("stops the customer's cached API key, its session tokens and user sessions on the very next request, and its logins", async () => {
    // The key has been used, so its principal is cached (memory and KV).
    expect((await call("/v1/invoices", { token: victim.key })).status).toBe(200);
    const kvKey = principalKvKey(await hashApiKey(victim.key));
    await eventually(async () => expect(await env.AUTH_CACHE.get(kvKey)).not.toBeNull());
    expect((await call("/v1/invoices", { token: userSession })).status).toBe(200);
    expect((await call("/v1/invoices", { token: keySession })).status).toBe(200);

    const response = await send("PATCH", `/v1/admin/customers/${victim.customerId}`, staff, { status: "suspended" });
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ id: victim.customerId, status: "suspended" });

    expect(await env.AUTH_CACHE.get(kvKey)).toBeNull();
    expect((await call("/v1/invoices", { token: victim.key })).status).toBe(401);
    expect((await call("/v1/invoices", { token: userSession })).status).toBe(401);
    expect((await call("/v1/invoices", { token: keySession })).status).toBe(401);
    expect((await call("/v1/auth/token", { method: "POST", token: victim.key })).status).toBe(401);
    expect((await loginAs(userEmail, userPassword)).status).toBe(401);

    const events = await auditRows(victim.customerId);
    // The refused login comes after the suspension, and is on the record as well.
    expect(events.at(-1)).toMatchObject({ action: "user.login_failed", data: { reason: "customer_inactive" } });
    expect(events.at(-2)).toMatchObject({
      action: "customer.suspended",
      actor_type: "staff",
      actor_id: staffUserId,
      resource_id: victim.customerId,
      data: { changes: { status: { from: "active", to: "suspended" } } },
    });
  });

  it("reactivation lets the key and the customer's users in again, audited as customer.reactivated", async () => {
    const response = await send("PATCH", `/v1/admin/customers/${victim.customerId}`, staff, { status: "active" });
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ status: "active" });

    expect((await auditRows(victim.customerId)).at(-1)).toMatchObject({
      action: "customer.reactivated",
      actor_type: "staff",
      data: { changes: { status: { from: "suspended", to: "active" } } },
    });

    expect((await call("/v1/invoices", { token: victim.key })).status).toBe(200);
    expect((await loginAs(userEmail, userPassword)).status).toBe(200);
    expect(await verifyChain(victim.customerId)).toMatchObject({ valid: true });
  });
});

describe("staff console fields: past due and the reason of a change", () => {
  it("shows when dunning marked a customer past due, and null once settled", async () => {
    const { customer } = await onboard();
    expect(customer.past_due_since).toBeNull();
    const since = "2026-11-02T03:04:05.000Z";
    await adminQuery("UPDATE customers SET past_due_since = $2 WHERE id = $1", [customer.id, since]);
    const one = await send("GET", `/v1/admin/customers/${customer.id}`, staff);
    expect(await one.json()).toMatchObject({ id: customer.id, past_due_since: since });
    const list = await (await send("GET", "/v1/admin/customers?limit=100", staff)).json<Page<CustomerBody>>();
    expect(list.data.find((c) => c.id === customer.id)?.past_due_since).toBe(since);
  });

  it("records the staff member's reason for a suspension in the audit event", async () => {
    const { customer } = await onboard();
    const reason = "Chargeback fraud under investigation";
    const response = await send("PATCH", `/v1/admin/customers/${customer.id}`, staff, {
      status: "suspended",
      reason,
    });
    expect(response.status).toBe(200);
    const event = (await auditRows(customer.id)).at(-1);
    expect(event).toMatchObject({
      action: "customer.suspended",
      data: { reason, changes: { status: { from: "active", to: "suspended" } } },
    });
  });

  it("rejects a reason alone (no change) and a too short reason with 422s", async () => {
    const { customer } = await onboard();
    expect((await send("PATCH", `/v1/admin/customers/${customer.id}`, staff, { reason: "why not" })).status).toBe(422);
    await expectFields(
      await send("PATCH", `/v1/admin/customers/${customer.id}`, staff, { status: "suspended", reason: "x" }),
      422,
      ["body.reason"],
    );
    expect((await send("GET", `/v1/admin/customers/${customer.id}`, staff)).status).toBe(200);
  });
});

describe("OpenAPI", () => {
  it("documents the admin routes as super_admin only, with named schemas", async () => {
    const doc = await (await call("/openapi.json")).json<{
      paths: Record<string, Record<string, { "x-required-permission"?: string; summary?: string }>>;
      components: { schemas: Record<string, unknown> };
    }>();
    for (const [path, method] of [
      ["/v1/admin/customers", "post"],
      ["/v1/admin/customers", "get"],
      ["/v1/admin/customers/{id}", "get"],
      ["/v1/admin/customers/{id}", "patch"],
    ] as const) {
      expect(doc.paths[path]![method], `${method} ${path}`).toMatchObject({
        "x-required-permission": "super_admin",
        summary: expect.any(String),
      });
    }
    expect(Object.keys(doc.components.schemas)).toEqual(
      expect.arrayContaining([
        "Customer",
        "CustomerList",
        "CreateCustomerRequest",
        "UpdateCustomerRequest",
        "OnboardedCustomer",
        "AdminInvite",
      ]),
    );
  });
});
