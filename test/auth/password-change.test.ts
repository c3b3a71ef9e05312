// POST /v1/me/password (docs/auth.md, "Passwords"): the current password is checked (and
// guesses throttled), the rules apply, every other session ends while this one keeps working,
// the user is emailed and the change audited without the password. API keys are refused.
import { beforeAll, describe, expect, it } from "vitest";
import { expectProblem, send } from "../helpers/http.ts";
import { createUser, login, type TestUser } from "../helpers/identity.ts";
import { owner } from "../helpers/invites.ts";
import { sentEmails } from "../helpers/sink.ts";
import { createTenant, type TestTenant } from "../helpers/tenants.ts";
import { eventually } from "../helpers/wait.ts";

const NEW_PASSWORD = "a brand new long passphrase";
const change = (token: string, body: unknown) => send("POST", "/v1/me/password", token, body);
const me = (token: string) => send("GET", "/v1/me", token);

let tenant: TestTenant;
beforeAll(async () => {
  tenant = await createTenant();
});
const freshUser = () => createUser(tenant.customerId, { role: "viewer" });

describe("POST /v1/me/password", () => {
  it("changes the password, ends the other sessions, keeps this one, emails and audits without the password", async () => {
    const user = await freshUser();
    const [mine, other] = [await login(user.email, user.password), await login(user.email, user.password)];
    const response = await change(mine, { current_password: user.password, new_password: NEW_PASSWORD });
    expect(response.status, await response.clone().text()).toBe(204);

    expect((await me(mine)).status).toBe(200);
    await expectProblem(await me(other), { status: 401 });
    await expect(login(user.email, user.password)).rejects.toThrow(/401/);
    expect(await login(user.email, NEW_PASSWORD)).toBeTruthy();

    const sessions = await owner<{ revoked: boolean }>(
      tenant.customerId,
      "SELECT revoked_at IS NOT NULL AS revoked FROM user_sessions WHERE user_id = $1 ORDER BY created_at",
      [user.id],
    );
    expect(sessions.map((s) => s.revoked)).toEqual([false, true, false]);

    const [audit] = await owner<{ data: unknown; actor_id: string }>(
      tenant.customerId,
      "SELECT data, actor_id FROM audit_events WHERE action = 'user.password_changed' AND resource_id = $1",
      [user.id],
    );
    expect(audit).toMatchObject({ actor_id: user.id, data: { method: "change", ended_sessions: 1 } });
    expect(JSON.stringify(audit)).not.toContain(NEW_PASSWORD);
    expect(JSON.stringify(audit)).not.toContain(user.password);

    const email = await eventually(async () => {
      // (Its sign-ins from new devices were emailed too: this is the change's email.)
      const found = (await sentEmails()).find(
        (e) =>
          e.body.Destination.ToAddresses.includes(user.email) &&
          /password was changed/.test(e.body.Content.Simple.Subject.Data),
      );
      if (!found) throw new Error(`no password email to ${user.email} yet`);
      return found;
    });
    expect(JSON.stringify(email)).not.toContain(NEW_PASSWORD);
  });

  it("refuses a wrong current password with a 422 naming body.current_password, and changes nothing", async () => {
    const user = await freshUser();
    const token = await login(user.email, user.password);
    await expectProblem(
      await change(token, { current_password: "not my password at all", new_password: NEW_PASSWORD }),
      {
        status: 422,
        field: "body.current_password",
      },
    );
    expect(await login(user.email, user.password)).toBeTruthy();
    expect((await me(token)).status).toBe(200);
  });

  it("throttles guesses of the current password: the 11th wrong one in the window is a 429", async () => {
    const user = await freshUser();
    const token = await login(user.email, user.password);
    for (let i = 0; i < 10; i++)
      expect((await change(token, { current_password: `wrong guess ${i}`, new_password: NEW_PASSWORD })).status).toBe(
        422,
      );
    await expectProblem(await change(token, { current_password: user.password, new_password: NEW_PASSWORD }), {
      status: 429,
      type: "rate-limited",
    });
  });

  it("applies the password rules to new_password, naming body.new_password and the rule", async () => {
    const user: TestUser = await freshUser();
    const token = await login(user.email, user.password);
    const local = user.email.split("@")[0]!;
    for (const [password, code] of [
      ["too short", "too_short"],
      ["y".repeat(257), "too_long"],
      ["QWERTY123456", "common"],
      [`${local}-plus-more`, "contains_email"],
    ] as const) {
      const problem = await expectProblem(
        await change(token, { current_password: user.password, new_password: password }),
        {
          status: 422,
          field: "body.new_password",
        },
      );
      expect(problem.errors).toContainEqual(expect.objectContaining({ field: "body.new_password", code }));
    }
    expect(await login(user.email, user.password)).toBeTruthy();
  });

  it("refuses API keys and key session tokens with a 403 saying a user session is required", async () => {
    const body = { current_password: "whatever it is now", new_password: NEW_PASSWORD };
    await expectProblem(await change(tenant.key, body), { status: 403, type: "user-session-required" });
    const exchanged = await send("POST", "/v1/auth/token", tenant.key);
    const { session_token } = await exchanged.json<{ session_token: string }>();
    await expectProblem(await change(session_token, body), { status: 403, type: "user-session-required" });
  });

  it("refuses a missing or malformed body with a 422 naming the fields", async () => {
    const user = await freshUser();
    const token = await login(user.email, user.password);
    const problem = await expectProblem(await change(token, {}), { status: 422 });
    expect(problem.errors!.map((e) => e.field).sort()).toEqual(["body.current_password", "body.new_password"]);
  });
});
