// The activity feed: the readable side of the audit trail, for any caller of the customer
// (viewers and plain API keys included), without request metadata or chain internals.
import { beforeAll, describe, expect, it } from "vitest";
import { userToken } from "../helpers/identity.ts";
import { call, createTenant, type TestTenant } from "../helpers/tenants.ts";
import type { Page, Schemas } from "../helpers/http.ts";

type ActivityBody = Schemas["Activity"];

let alice: TestTenant;
let aliceAdmin: string;
let aliceViewer: string;
let viewerId: string;
let bob: TestTenant;
let bobViewer: string;

beforeAll(async () => {
  alice = await createTenant();
  aliceAdmin = (await userToken(alice.customerId, "admin")).token;
  const viewer = await userToken(alice.customerId, "viewer");
  aliceViewer = viewer.token;
  viewerId = viewer.user.id;
  await userToken(alice.customerId, "billing");
  bob = await createTenant();
  bobViewer = (await userToken(bob.customerId, "viewer")).token;
});

describe("GET /v1/activity", () => {
  it("shows a viewer the customer's activity, newest first, without request metadata or hashes", async () => {
    const response = await call("/v1/activity", { token: aliceViewer });
    expect(response.status).toBe(200);
    const page = await response.json<Page<ActivityBody>>();
    expect(page).toMatchObject({ has_more: false, next_cursor: null });
    expect(page.data.map((a) => a.action)).toEqual(["user.logged_in", "user.logged_in", "user.logged_in"]);
    expect(page.data.map((a) => a.id)).toEqual([...page.data.map((a) => a.id)].sort().reverse());
    const mine = page.data.find((a) => a.actor.id === viewerId)!;
    expect(mine).toMatchObject({
      object: "activity",
      actor: { type: "user", id: viewerId },
      resource: { type: "user_session" },
    });
    expect(mine.summary).toMatch(/logged in/);
    expect(Number.isNaN(Date.parse(mine.occurred_at))).toBe(false);
    expect(Object.keys(mine).sort()).toEqual(["action", "actor", "id", "object", "occurred_at", "resource", "summary"]);
  });

  it("lists the same events as the audit trail", async () => {
    const feed = await (await call("/v1/activity?limit=100", { token: aliceViewer })).json<Page<ActivityBody>>();
    const audit = await (await call("/v1/audit-events?limit=100", { token: aliceAdmin })).json<Page<{ id: string }>>();
    expect(feed.data.map((a) => a.id)).toEqual(audit.data.map((e) => e.id));
  });

  it("works for an API key of the customer, whatever its scopes", async () => {
    const response = await call("/v1/activity", { token: alice.key });
    expect(response.status).toBe(200);
    expect((await response.json<Page<ActivityBody>>()).data).toHaveLength(3);
  });

  it("never shows another tenant's activity", async () => {
    const alices = await (await call("/v1/activity?limit=100", { token: aliceViewer })).json<Page<ActivityBody>>();
    const bobs = await (await call("/v1/activity?limit=100", { token: bobViewer })).json<Page<ActivityBody>>();
    expect(bobs.data).toHaveLength(1);
    expect(alices.data.map((a) => a.id)).not.toContain(bobs.data[0]!.id);
  });

  it("pages with limit and starting_after", async () => {
    const first = await (await call("/v1/activity?limit=2", { token: aliceViewer })).json<Page<ActivityBody>>();
    expect(first.data).toHaveLength(2);
    expect(first).toMatchObject({ has_more: true, next_cursor: first.data[1]!.id });
    const second = await (
      await call(`/v1/activity?limit=2&starting_after=${first.next_cursor}`, { token: aliceViewer })
    ).json<Page<ActivityBody>>();
    expect(second).toMatchObject({ has_more: false, next_cursor: null });
    expect(second.data).toHaveLength(1);
  });

  it("requires credentials", async () => {
    const response = await call("/v1/activity");
    expect(response.status).toBe(401);
    expect(response.headers.get("content-type")).toBe("application/problem+json");
  });

  it.each([
    ["limit=0", "query.limit"],
    ["starting_after=yesterday", "query.starting_after"],
  ])("rejects %s with a 400 naming %s", async (query, field) => {
    const response = await call(`/v1/activity?${query}`, { token: aliceViewer });
    expect(response.status).toBe(400);
    expect((await response.json<{ errors: { field: string }[] }>()).errors.map((e) => e.field)).toContain(field);
  });
});
