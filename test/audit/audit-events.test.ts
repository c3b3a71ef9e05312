// The audit trail through the API: real mutations (login, logout, session revocation) leave
// events that carry the request id, address and user agent of the request that caused them;
// filters narrow the list; another tenant's events never show; the chain verifies, and stops
// verifying once an event is tampered with behind the API's back.
import { beforeAll, describe, expect, it } from "vitest";
import { connect, databaseUrl } from "../helpers/database.ts";
import { createUser, randomIp, userToken, type TestUser } from "../helpers/identity.ts";
import { call, createTenant, type TestTenant } from "../helpers/tenants.ts";
import { expectSameAsMissing, type Page, type Schemas } from "../helpers/http.ts";

type AuditEventBody = Schemas["AuditEvent"];
type Verification = Schemas["AuditChainVerification"];
type LoginBody = Schemas["LoginResult"];

/** What a request that caused an audit event looked like, and what the API answered. */
interface Sent {
  requestId: string;
  ip: string;
  userAgent: string;
}

let counter = 0;
const userAgent = () => `AuditTest/${++counter} (+https://example.com/${Math.random().toString(36).slice(2, 8)})`;

async function loginWithHeaders(user: TestUser): Promise<{ body: LoginBody } & Sent> {
  const ip = randomIp();
  const ua = userAgent();
  const response = await call("/v1/auth/login", {
    method: "POST",
    headers: { "content-type": "application/json", "cf-connecting-ip": ip, "user-agent": ua },
    body: JSON.stringify({ email: user.email, password: user.password }),
  });
  expect(response.status).toBe(200);
  return {
    body: await response.json<LoginBody>(),
    requestId: response.headers.get("x-request-id")!,
    ip,
    userAgent: ua,
  };
}

async function list(token: string, query = ""): Promise<Page<AuditEventBody>> {
  const response = await call(`/v1/audit-events${query}`, { token });
  expect(response.status).toBe(200);
  return response.json<Page<AuditEventBody>>();
}

async function all(token: string, query = ""): Promise<AuditEventBody[]> {
  const events: AuditEventBody[] = [];
  let cursor: string | null = null;
  do {
    const page: Page<AuditEventBody> = await list(
      token,
      `?limit=100${query}${cursor ? `&starting_after=${cursor}` : ""}`,
    );
    events.push(...page.data);
    cursor = page.next_cursor;
  } while (cursor);
  return events;
}

async function verify(token: string): Promise<Verification> {
  const response = await call("/v1/audit-events/verify", { token });
  expect(response.status).toBe(200);
  return response.json<Verification>();
}

function expectCausedBy(event: AuditEventBody | undefined, sent: Sent) {
  expect(event).toBeDefined();
  expect(event!.request_id).toBe(sent.requestId);
  expect(event!.ip).toBe(sent.ip);
  expect(event!.user_agent).toBe(sent.userAgent);
}

let alice: TestTenant;
let admin: TestUser;
let adminToken: string;
let viewer: TestUser;
let viewerToken: string;
let firstLogin: { body: LoginBody } & Sent;
let secondLogin: { body: LoginBody } & Sent;
let logout: Sent;
let thirdLogin: { body: LoginBody } & Sent;
let revoke: Sent;

let bob: TestTenant;
let bobToken: string;

beforeAll(async () => {
  alice = await createTenant();
  admin = await createUser(alice.customerId, { role: "admin" });
  ({ user: viewer, token: viewerToken } = await userToken(alice.customerId, "viewer"));

  // user.logged_in, twice
  firstLogin = await loginWithHeaders(admin);
  adminToken = firstLogin.body.session_token;
  secondLogin = await loginWithHeaders(admin);

  // user.logged_out, with a request id of the client's choosing
  logout = {
    requestId: `logout-${Date.now()}-${Math.random().toString(36).slice(2)}`,
    ip: randomIp(),
    userAgent: userAgent(),
  };
  const loggedOut = await call("/v1/auth/logout", {
    method: "POST",
    token: secondLogin.body.session_token,
    headers: { "x-request-id": logout.requestId, "cf-connecting-ip": logout.ip, "user-agent": logout.userAgent },
  });
  expect(loggedOut.status).toBe(204);
  expect(loggedOut.headers.get("x-request-id")).toBe(logout.requestId);

  // user_session.revoked: the admin ends another of its sessions
  thirdLogin = await loginWithHeaders(admin);
  const ip = randomIp();
  const ua = userAgent();
  const revoked = await call(`/v1/sessions/${thirdLogin.body.session_id}`, {
    method: "DELETE",
    token: adminToken,
    headers: { "cf-connecting-ip": ip, "user-agent": ua },
  });
  expect(revoked.status).toBe(200);
  revoke = { requestId: revoked.headers.get("x-request-id")!, ip, userAgent: ua };

  bob = await createTenant();
  bobToken = (await userToken(bob.customerId, "admin")).token;
  await userToken(bob.customerId, "viewer");
});

describe("GET /v1/audit-events", () => {
  it("records each mutation with the request id, client address and user agent of the request that caused it", async () => {
    const events = await all(adminToken);
    const find = (action: string, resourceId: string) =>
      events.find((e) => e.action === action && e.resource.id === resourceId);

    const loggedIn = find("user.logged_in", firstLogin.body.session_id);
    expectCausedBy(loggedIn, firstLogin);
    expect(loggedIn).toMatchObject({
      object: "audit_event",
      actor: { type: "user", id: admin.id },
      resource: { type: "user_session" },
    });
    expectCausedBy(find("user.logged_in", secondLogin.body.session_id), secondLogin);
    expectCausedBy(find("user.logged_out", secondLogin.body.session_id), logout);
    expectCausedBy(find("user.logged_in", thirdLogin.body.session_id), thirdLogin);
    const revokedEvent = find("user_session.revoked", thirdLogin.body.session_id);
    expectCausedBy(revokedEvent, revoke);
    expect(revokedEvent).toMatchObject({ actor: { type: "user", id: admin.id }, data: { user_id: admin.id } });
  });

  it("lists newest first, with integer seqs and hex hashes that chain", async () => {
    const events = await all(adminToken);
    // viewer login + 3 admin logins + logout + revocation
    expect(events.length).toBe(6);
    expect(events.map((e) => e.id)).toEqual([...events.map((e) => e.id)].sort().reverse());
    const bySeq = [...events].sort((a, b) => a.seq - b.seq);
    expect(bySeq.map((e) => e.seq)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(bySeq[0]!.prev_hash).toBe("0".repeat(64));
    for (let i = 0; i < bySeq.length; i++) {
      expect(bySeq[i]!.hash).toMatch(/^[0-9a-f]{64}$/);
      if (i > 0) expect(bySeq[i]!.prev_hash).toBe(bySeq[i - 1]!.hash);
    }
  });

  it("pages with limit and starting_after", async () => {
    const everything = await all(adminToken);
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const page: Page<AuditEventBody> = await list(adminToken, `?limit=4${cursor ? `&starting_after=${cursor}` : ""}`);
      expect(page.has_more).toBe(page.next_cursor !== null);
      seen.push(...page.data.map((e) => e.id));
      cursor = page.next_cursor;
      pages++;
    } while (cursor);
    expect(pages).toBe(2);
    expect(seen).toEqual(everything.map((e) => e.id));
  });

  it("filters by action, resource, actor and time", async () => {
    const byAction = await all(adminToken, "&action=user.logged_out");
    expect(byAction.map((e) => e.resource.id)).toEqual([secondLogin.body.session_id]);

    const byResource = await all(adminToken, `&resource_type=user_session&resource_id=${thirdLogin.body.session_id}`);
    expect(byResource.map((e) => e.action)).toEqual(["user_session.revoked", "user.logged_in"]);

    const byActor = await all(adminToken, `&actor_id=${viewer.id}`);
    expect(byActor.map((e) => e.action)).toEqual(["user.logged_in"]);
    expect(await all(adminToken, `&actor_type=user&actor_id=${admin.id}`)).toHaveLength(5);
    expect(await all(adminToken, "&actor_type=staff")).toEqual([]);

    const events = await all(adminToken);
    // Times are exact (microseconds, as the hash chain covers them), so they work as bounds.
    for (const e of events) expect(e.occurred_at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);
    const oldest = events.at(-1)!;
    const newest = events[0]!;
    const after = await all(adminToken, `&occurred_after=${encodeURIComponent(oldest.occurred_at)}`);
    expect(after.map((e) => e.id)).not.toContain(oldest.id);
    expect(after.map((e) => e.id)).toContain(newest.id);
    const before = await all(adminToken, `&occurred_before=${encodeURIComponent(newest.occurred_at)}`);
    expect(before.map((e) => e.id)).not.toContain(newest.id);
    expect(before.map((e) => e.id)).toContain(oldest.id);
    expect(
      await all(adminToken, `&occurred_after=${encodeURIComponent(new Date(Date.now() + 3_600_000).toISOString())}`),
    ).toEqual([]);
    expect(await all(adminToken, "&occurred_before=2000-01-01T00:00:00%2B02:00")).toEqual([]);
  });

  it("never shows another tenant's events", async () => {
    const alices = await all(adminToken);
    const bobs = await all(bobToken);
    expect(bobs.length).toBe(2);
    const aliceIds = new Set(alices.map((e) => e.id));
    expect(bobs.some((e) => aliceIds.has(e.id))).toBe(false);
    expect(alices.some((e) => e.actor.id === null || bobs.some((b) => b.actor.id === e.actor.id))).toBe(false);
    // Bob's chain is numbered on its own.
    expect(bobs.map((e) => e.seq).sort()).toEqual([1, 2]);
  });

  it("works for an API key with audit:read", async () => {
    const keyed = await createTenant({ scopes: ["audit:read"] });
    const response = await call("/v1/audit-events", { token: keyed.key });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ data: [], has_more: false, next_cursor: null });
  });

  it("requires credentials", async () => {
    expect((await call("/v1/audit-events")).status).toBe(401);
  });

  it("refuses a viewer and a key without audit:read with a 403", async () => {
    expect((await call("/v1/audit-events", { token: viewerToken })).status).toBe(403);
    expect((await call("/v1/audit-events", { token: alice.key })).status).toBe(403);
  });

  it.each([
    ["occurred_after=yesterday", "query.occurred_after"],
    ["occurred_before=2026-13-01T00:00:00Z", "query.occurred_before"],
    ["actor_type=robot", "query.actor_type"],
    ["action=", "query.action"],
    ["limit=101", "query.limit"],
    ["starting_after=42", "query.starting_after"],
  ])("rejects %s with a 400 naming %s", async (query, field) => {
    const response = await call(`/v1/audit-events?${query}`, { token: adminToken });
    expect(response.status).toBe(400);
    expect(response.headers.get("content-type")).toBe("application/problem+json");
    expect((await response.json<{ errors: { field: string }[] }>()).errors.map((e) => e.field)).toContain(field);
  });
});

describe("GET /v1/audit-events/{id}", () => {
  it("returns one of the customer's events", async () => {
    const [newest] = await all(adminToken);
    const response = await call(`/v1/audit-events/${newest!.id}`, { token: adminToken });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual(newest);
  });

  it("answers 404 for another tenant's event, exactly as for an id that does not exist", async () => {
    const [bobs] = await all(bobToken);
    const theirs = await call(`/v1/audit-events/${bobs!.id}`, { token: adminToken });
    const nobodys = await call("/v1/audit-events/01900000-0000-7000-8000-000000000000", { token: adminToken });
    await expectSameAsMissing(theirs, nobodys);
  });

  it("rejects a malformed id with a 400 naming param.id", async () => {
    const response = await call("/v1/audit-events/not-an-id", { token: adminToken });
    expect(response.status).toBe(400);
    expect((await response.json<{ errors: { field: string }[] }>()).errors[0]!.field).toBe("param.id");
  });

  it("requires credentials and audit:read", async () => {
    const [newest] = await all(adminToken);
    expect((await call(`/v1/audit-events/${newest!.id}`)).status).toBe(401);
    expect((await call(`/v1/audit-events/${newest!.id}`, { token: viewerToken })).status).toBe(403);
  });
});

describe("GET /v1/audit-events/verify", () => {
  it("reports the customer's chain valid, with the number of events checked", async () => {
    const events = await all(adminToken);
    expect(await verify(adminToken)).toEqual({ valid: true, checked: events.length, first_broken: null });
    expect(await verify(bobToken)).toEqual({ valid: true, checked: 2, first_broken: null });
  });

  it("names the first tampered event once a superuser edits one behind the API's back", async () => {
    const carol = await createTenant();
    const carolAdmin = await createUser(carol.customerId, { role: "admin" });
    const token = (await loginWithHeaders(carolAdmin)).body.session_token;
    await loginWithHeaders(carolAdmin);
    await loginWithHeaders(carolAdmin);
    const events = await all(token);
    expect(await verify(token)).toEqual({ valid: true, checked: 3, first_broken: null });
    const second = events.find((e) => e.seq === 2)!;

    const superuser = await connect(databaseUrl("admin"));
    try {
      await superuser.query("SET session_replication_role = replica");
      await superuser.query("UPDATE audit_events SET ip = '192.0.2.66' WHERE customer_id = $1 AND seq = 2", [
        carol.customerId,
      ]);
    } finally {
      await superuser.end();
    }

    expect(await verify(token)).toEqual({
      valid: false,
      checked: 2,
      first_broken: { seq: 2, id: second.id, reason: "hash does not match the event content" },
    });
    // Other customers' chains are unaffected.
    expect(await verify(bobToken)).toMatchObject({ valid: true });
  });

  it("requires credentials and audit:read", async () => {
    expect((await call("/v1/audit-events/verify")).status).toBe(401);
    expect((await call("/v1/audit-events/verify", { token: viewerToken })).status).toBe(403);
    expect((await call("/v1/audit-events/verify", { token: alice.key })).status).toBe(403);
  });
});

describe("OpenAPI", () => {
  it("documents the audit routes with their permission and named schemas", async () => {
    const doc = await (await call("/openapi.json")).json<{
      paths: Record<string, Record<string, { "x-required-permission"?: string; parameters?: { name: string }[] }>>;
      components: { schemas: Record<string, unknown> };
    }>();
    expect(doc.paths["/v1/audit-events"]!.get).toMatchObject({ "x-required-permission": "audit:read" });
    expect(doc.paths["/v1/audit-events/verify"]!.get).toMatchObject({ "x-required-permission": "audit:read" });
    expect(doc.paths["/v1/audit-events/{id}"]!.get).toMatchObject({ "x-required-permission": "audit:read" });
    expect(doc.paths["/v1/activity"]!.get).toMatchObject({ "x-required-permission": "authenticated" });
    expect(doc.paths["/v1/audit-events"]!.get!.parameters!.map((p) => p.name)).toEqual(
      expect.arrayContaining([
        "limit",
        "starting_after",
        "action",
        "resource_type",
        "resource_id",
        "actor_id",
        "occurred_after",
        "occurred_before",
      ]),
    );
    expect(Object.keys(doc.components.schemas)).toEqual(
      expect.arrayContaining(["AuditEvent", "AuditEventList", "AuditChainVerification", "Activity", "ActivityList"]),
    );
  });
});
