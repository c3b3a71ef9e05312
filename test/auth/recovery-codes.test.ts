// Recovery codes (docs/auth.md, "Second factors"): each signs in once, in place of a TOTP code;
// using one is audited and emailed; they go with the authenticator.
import { beforeAll, describe, expect, it } from "vitest";
import { expectProblem, send } from "../helpers/http.ts";
import { createUser, login } from "../helpers/identity.ts";
import { owner } from "../helpers/invites.ts";
import { enrolTotp, loginAttempt, mfaLogin } from "../helpers/mfa.ts";
import { sentEmails } from "../helpers/sink.ts";
import { createTenant, type TestTenant } from "../helpers/tenants.ts";
import { eventually } from "../helpers/wait.ts";

let tenant: TestTenant;
beforeAll(async () => {
  tenant = await createTenant();
});

const challenge = async (email: string, password: string) =>
  (await loginAttempt(email, password)).body.mfa_token as string;

describe("recovery codes at login", () => {
  it("each signs in once; reusing one is refused; the use is audited and emailed", async () => {
    const user = await createUser(tenant.customerId, { role: "viewer" });
    const { recoveryCodes } = await enrolTotp(await login(user.email, user.password));
    const [first, second] = recoveryCodes;

    const ok = await mfaLogin({ mfa_token: await challenge(user.email, user.password), recovery_code: first });
    expect(ok.status).toBe(200);
    const { session_id } = await ok.json<{ session_id: string }>();
    await expectProblem(
      await mfaLogin({ mfa_token: await challenge(user.email, user.password), recovery_code: first }),
      { status: 401, type: "mfa-failed" },
    );
    // Typed differently (upper case, no dashes) it is the same code: still used.
    await expectProblem(
      await mfaLogin({
        mfa_token: await challenge(user.email, user.password),
        recovery_code: first!.replaceAll("-", "").toUpperCase(),
      }),
      { status: 401 },
    );
    const another = await mfaLogin({
      mfa_token: await challenge(user.email, user.password),
      recovery_code: second!.toUpperCase(),
    });
    expect(another.status).toBe(200);

    const used = await owner<{ n: number }>(
      tenant.customerId,
      "SELECT count(*)::int AS n FROM user_recovery_codes WHERE user_id = $1 AND used_at IS NOT NULL",
      [user.id],
    );
    expect(used[0]!.n).toBe(2);
    const audits = await owner<{ action: string; data: Record<string, unknown> }>(
      tenant.customerId,
      `SELECT action, data FROM audit_events
       WHERE (resource_id = $1 AND action = 'recovery_code.used') OR (resource_id = $2 AND action = 'user.logged_in')`,
      [user.id, session_id],
    );
    expect(audits.filter((a) => a.action === "recovery_code.used")).toHaveLength(2);
    expect(audits.find((a) => a.action === "user.logged_in")!.data).toMatchObject({ method: "recovery_code" });
    await eventually(async () => {
      const texts = (await sentEmails())
        .filter((e) => e.body.Destination.ToAddresses.includes(user.email))
        .map((e) => e.body.Content.Simple.Body.Text.Data);
      expect(texts.filter((t) => t.includes("a recovery code was used"))).toHaveLength(2);
    });
  });

  it("refuses a code of another user", async () => {
    const alice = await createUser(tenant.customerId, { role: "viewer" });
    const bob = await createUser(tenant.customerId, { role: "viewer" });
    await enrolTotp(await login(alice.email, alice.password));
    const bobs = await enrolTotp(await login(bob.email, bob.password));
    await expectProblem(
      await mfaLogin({ mfa_token: await challenge(alice.email, alice.password), recovery_code: bobs.recoveryCodes[0] }),
      { status: 401 },
    );
  });

  it("stop working once the authenticator is removed", async () => {
    const user = await createUser(tenant.customerId, { role: "viewer" });
    const session = await login(user.email, user.password);
    const { app, recoveryCodes } = await enrolTotp(session);
    expect((await send("DELETE", "/v1/me/mfa/totp", session, { code: await app.next() })).status).toBe(204);
    // No factor left: a password login is a session again.
    const { status, body } = await loginAttempt(user.email, user.password);
    expect(status).toBe(200);
    expect(body).toHaveProperty("session_token");
    const left = await owner(tenant.customerId, "SELECT 1 FROM user_recovery_codes WHERE user_id = $1", [user.id]);
    expect(left).toEqual([]);
    expect(recoveryCodes).toHaveLength(10);
  });
});
