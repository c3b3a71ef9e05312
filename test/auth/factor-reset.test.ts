// Resetting a member's second factors (docs/auth.md, "Second factors"): by the customer's admin
// or by SecureBase staff; the factors go, the member's sessions end, the member is emailed and
// the reset audited. Nobody else may do it.
import { beforeAll, describe, expect, it } from "vitest";
import { expectProblem, send } from "../helpers/http.ts";
import { createUser, login, staffToken, userToken, type TestUser } from "../helpers/identity.ts";
import { owner } from "../helpers/invites.ts";
import { enrolTotp, loginAttempt } from "../helpers/mfa.ts";
import { sentEmails } from "../helpers/sink.ts";
import { createTenant, type TestTenant } from "../helpers/tenants.ts";
import { eventually } from "../helpers/wait.ts";

let tenant: TestTenant;
let admin: string;
beforeAll(async () => {
  tenant = await createTenant();
  ({ token: admin } = await userToken(tenant.customerId, "admin"));
});

/** A member with TOTP and an open session. */
async function enrolledMember(): Promise<{ member: TestUser; session: string }> {
  const member = await createUser(tenant.customerId, { role: "developer" });
  const session = await login(member.email, member.password);
  await enrolTotp(session);
  return { member, session };
}

async function expectReset(member: TestUser, session: string, actorType: "user" | "staff") {
  const left = await owner(
    tenant.customerId,
    "SELECT 1 FROM user_totp WHERE user_id = $1 UNION ALL SELECT 1 FROM user_recovery_codes WHERE user_id = $1",
    [member.id],
  );
  expect(left).toEqual([]);
  await eventually(async () => expect((await send("GET", "/v1/me", session)).status).toBe(401));
  const [audit] = await owner<{ actor_type: string; data: { ended_sessions: number } }>(
    tenant.customerId,
    "SELECT actor_type, data FROM audit_events WHERE action = 'mfa.reset' AND resource_id = $1",
    [member.id],
  );
  expect(audit).toMatchObject({ actor_type: actorType, data: { ended_sessions: 1 } });
  await eventually(async () => {
    const texts = (await sentEmails())
      .filter((e) => e.body.Destination.ToAddresses.includes(member.email))
      .map((e) => e.body.Content.Simple.Body.Text.Data);
    expect(texts.some((t) => t.includes("an administrator removed your second factors"))).toBe(true);
  });
  // The next sign-in is a plain session again (this customer does not require MFA).
  expect((await loginAttempt(member.email, member.password)).body).toHaveProperty("session_token");
}

describe("POST /v1/users/{id}/mfa/reset", () => {
  it("lets the customer's admin reset a member: factors gone, sessions ended, emailed, audited", async () => {
    const { member, session } = await enrolledMember();
    expect((await loginAttempt(member.email, member.password)).body).toHaveProperty("mfa_token");
    const response = await send("POST", `/v1/users/${member.id}/mfa/reset`, admin);
    expect(response.status).toBe(204);
    await expectReset(member, session, "user");
  });

  it("is refused to members without users:write", async () => {
    const { member } = await enrolledMember();
    const { token } = await userToken(tenant.customerId, "developer");
    await expectProblem(await send("POST", `/v1/users/${member.id}/mfa/reset`, token), { status: 403 });
  });

  it("is a 404 for another customer's admin, and their factors stay", async () => {
    const { member } = await enrolledMember();
    const other = await createTenant();
    const { token } = await userToken(other.customerId, "admin");
    await expectProblem(await send("POST", `/v1/users/${member.id}/mfa/reset`, token), { status: 404 });
    const left = await owner(tenant.customerId, "SELECT 1 FROM user_totp WHERE user_id = $1", [member.id]);
    expect(left).toHaveLength(1);
  });
});

describe("POST /v1/admin/customers/{customer_id}/users/{id}/mfa/reset", () => {
  it("lets SecureBase staff reset any customer's member, audited as staff", async () => {
    const { member, session } = await enrolledMember();
    const { token } = await staffToken();
    const response = await send("POST", `/v1/admin/customers/${tenant.customerId}/users/${member.id}/mfa/reset`, token);
    expect(response.status).toBe(204);
    await expectReset(member, session, "staff");
  });

  it("is a 404 when the member is not the customer's, and refused to non-staff", async () => {
    const { member } = await enrolledMember();
    const { token } = await staffToken();
    const other = await createTenant();
    await expectProblem(
      await send("POST", `/v1/admin/customers/${other.customerId}/users/${member.id}/mfa/reset`, token),
      { status: 404 },
    );
    await expectProblem(
      await send("POST", `/v1/admin/customers/${tenant.customerId}/users/${member.id}/mfa/reset`, admin),
      { status: 403 },
    );
  });
});
