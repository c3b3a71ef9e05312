import { beforeAll, describe, expect, it } from "vitest";
import { createUser, login, userToken, type TestUser } from "../helpers/identity.ts";
import { call, createTenant, type TestTenant } from "../helpers/tenants.ts";
import type { Schemas } from "../helpers/http.ts";

type Session = Schemas["Session"];

let tenant: TestTenant;
let admin: { user: TestUser; token: string };
let viewer: { user: TestUser; token: string };
beforeAll(async () => {
  tenant = await createTenant();
  admin = await userToken(tenant.customerId, "admin");
  viewer = await userToken(tenant.customerId, "viewer");
});

const list = async (token: string, query = "") =>
  (await call(`/v1/sessions${query}`, { token })).json<{ data: Session[] }>();

describe("GET /v1/sessions", () => {
  it("shows a user only their own sessions, marking the current one", async () => {
    const { data } = await list(viewer.token);
    expect(data.length).toBeGreaterThan(0);
    expect(new Set(data.map((s) => s.user_id))).toEqual(new Set([viewer.user.id]));
    expect(data.filter((s) => s.current)).toHaveLength(1);
  });

  it("shows an admin (sessions:read) every session of the customer, filterable by user", async () => {
    const { data } = await list(admin.token);
    expect(new Set(data.map((s) => s.user_id))).toEqual(new Set([admin.user.id, viewer.user.id]));
    const filtered = await list(admin.token, `?user_id=${viewer.user.id}`);
    expect(new Set(filtered.data.map((s) => s.user_id))).toEqual(new Set([viewer.user.id]));
  });

  it("filters active sessions before paging, so revoked ones never empty a page", async () => {
    const user = await createUser(tenant.customerId, { role: "viewer" });
    const oldest = await login(user.email, user.password);
    for (let i = 0; i < 2; i++) {
      const token = await login(user.email, user.password);
      await call("/v1/auth/logout", { method: "POST", token });
    }
    const page = await (await call("/v1/sessions?active=true&limit=1", { token: oldest })).json<{
      data: Session[];
      has_more: boolean;
    }>();
    expect(page.data).toHaveLength(1);
    expect(page.data[0]!.current).toBe(true);
    expect(page.has_more).toBe(false);
  });

  it("never shows another customer's sessions", async () => {
    const other = await createTenant();
    const stranger = await userToken(other.customerId, "admin");
    const { data } = await list(stranger.token);
    expect(data.every((s) => s.user_id === stranger.user.id)).toBe(true);
  });

  it("refuses an API key without sessions:read (403) and no credentials (401)", async () => {
    expect((await call("/v1/sessions", { token: tenant.key })).status).toBe(403);
    expect((await call("/v1/sessions")).status).toBe(401);
  });

  it("rejects a malformed filter with a 400 naming it", async () => {
    const response = await call("/v1/sessions?user_id=nope", { token: admin.token });
    expect(response.status).toBe(400);
    expect((await response.json<{ errors: { field: string }[] }>()).errors[0]!.field).toBe("query.user_id");
  });
});

describe("DELETE /v1/sessions/{id}", () => {
  it("revokes a session: its token is refused on the next request", async () => {
    const user = await createUser(tenant.customerId, { role: "developer" });
    const token = await login(user.email, user.password);
    const [session] = (await list(token)).data.filter((s) => s.current);
    const response = await call(`/v1/sessions/${session!.id}`, { method: "DELETE", token: admin.token });
    expect(response.status).toBe(200);
    expect((await response.json<Session>()).revoked_at).not.toBeNull();
    expect((await call("/v1/me", { token })).status).toBe(401);
  });

  it("lets a user end their own session but not someone else's (404)", async () => {
    const other = await userToken(tenant.customerId, "viewer");
    const [theirs] = (await list(other.token)).data;
    expect((await call(`/v1/sessions/${theirs!.id}`, { method: "DELETE", token: viewer.token })).status).toBe(404);
    const spare = await login(viewer.user.email, viewer.user.password);
    const [own] = (await list(spare)).data.filter((s) => s.current);
    expect((await call(`/v1/sessions/${own!.id}`, { method: "DELETE", token: viewer.token })).status).toBe(200);
    expect((await call("/v1/me", { token: spare })).status).toBe(401);
  });

  it("answers 404 for another tenant's session and 400 for a malformed id", async () => {
    const other = await createTenant();
    const stranger = await userToken(other.customerId, "admin");
    const [theirs] = (await list(stranger.token)).data;
    expect((await call(`/v1/sessions/${theirs!.id}`, { method: "DELETE", token: admin.token })).status).toBe(404);
    expect((await call(`/v1/sessions/xyz`, { method: "DELETE", token: admin.token })).status).toBe(400);
  });
});

describe("POST /v1/sessions/validate", () => {
  const validate = async (token: string, candidate: unknown) =>
    call("/v1/sessions/validate", {
      method: "POST",
      token,
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ session_token: candidate }),
    });

  it("says a live session is valid and a logged-out one is not", async () => {
    const user = await createUser(tenant.customerId);
    const token = await login(user.email, user.password);
    const live = await (await validate(admin.token, token)).json<{ valid: boolean; session: Session }>();
    expect(live).toMatchObject({ valid: true, session: { user_id: user.id } });
    await call("/v1/auth/logout", { method: "POST", token });
    expect(await (await validate(admin.token, token)).json()).toMatchObject({ valid: false });
  });

  it("reports another customer's token and garbage as invalid, without detail", async () => {
    const other = await createTenant();
    const stranger = await userToken(other.customerId, "admin");
    expect(await (await validate(admin.token, stranger.token)).json()).toEqual({ valid: false, session: null });
    expect(await (await validate(admin.token, "garbage")).json()).toEqual({ valid: false, session: null });
  });

  it("validates its body (422) and requires credentials (401)", async () => {
    expect((await validate(admin.token, 42)).status).toBe(422);
    expect(
      (
        await call("/v1/sessions/validate", {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: "{}",
        })
      ).status,
    ).toBe(401);
  });
});
