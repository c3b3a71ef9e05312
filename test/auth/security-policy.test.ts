// The customer's sign-in policy (docs/auth.md, "Security policy"): tier defaults, admin-only
// changes within platform bounds (422 naming the field), audited and evented, per tenant, and
// enforced at login (MFA, session lifetime, allowed methods).
import { beforeAll, describe, expect, it } from "vitest";
import { expectProblem, send } from "../helpers/http.ts";
import { createUser, userToken } from "../helpers/identity.ts";
import { owner } from "../helpers/invites.ts";
import { loginAttempt } from "../helpers/mfa.ts";
import { createTenant, type TestTenant } from "../helpers/tenants.ts";

const policyOf = async (token: string) => {
  const response = await send("GET", "/v1/security-policy", token);
  expect(response.status).toBe(200);
  return response.json<Record<string, unknown>>();
};

describe("GET /v1/security-policy", () => {
  it("answers the tier defaults when nothing is stored", async () => {
    const { token } = await userToken((await createTenant({ mfaRequired: "tier-default" })).customerId);
    expect(await policyOf(token)).toEqual({
      object: "security_policy",
      mfa_required: false,
      session_lifetime_minutes: 720,
      idle_timeout_minutes: 60,
      allowed_sign_in_methods: ["password", "passkey"],
    });
  });

  it("requires MFA by default for healthcare and gov_federal only (seen at login)", async () => {
    const tiers = [
      ["standard", false],
      ["fintech", false],
      ["healthcare", true],
      ["gov_federal", true],
    ] as const;
    await Promise.all(
      tiers.map(async ([tier, mfa]) => {
        const tenant = await createTenant({ tier, mfaRequired: "tier-default" });
        const admin = await createUser(tenant.customerId, { role: "admin" });
        const { status, body } = await loginAttempt(admin.email, admin.password);
        expect(status).toBe(200);
        expect(body.mfa_enrollment_required === true, tier).toBe(mfa);
      }),
    );
  });

  it("is for admins only (403 for other roles)", async () => {
    const tenant = await createTenant();
    const { token } = await userToken(tenant.customerId, "billing");
    await expectProblem(await send("GET", "/v1/security-policy", token), { status: 403 });
    await expectProblem(await send("PATCH", "/v1/security-policy", token, { mfa_required: true }), { status: 403 });
  });
});

describe("PATCH /v1/security-policy", () => {
  let tenant: TestTenant;
  let token: string;
  beforeAll(async () => {
    tenant = await createTenant();
    ({ token } = await userToken(tenant.customerId, "admin"));
  });

  it("changes the fields sent, audits before and after", async () => {
    const response = await send("PATCH", "/v1/security-policy", token, {
      session_lifetime_minutes: 60,
      idle_timeout_minutes: 15,
    });
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({
      mfa_required: false,
      session_lifetime_minutes: 60,
      idle_timeout_minutes: 15,
    });
    expect(await policyOf(token)).toMatchObject({ session_lifetime_minutes: 60, idle_timeout_minutes: 15 });
    const [audit] = await owner<{ data: { before: Record<string, unknown>; after: Record<string, unknown> } }>(
      tenant.customerId,
      "SELECT data FROM audit_events WHERE action = 'security_policy.updated' ORDER BY seq DESC LIMIT 1",
      [],
    );
    expect(audit!.data.before).toMatchObject({ session_lifetime_minutes: 720, idle_timeout_minutes: 60 });
    expect(audit!.data.after).toMatchObject({ session_lifetime_minutes: 60, idle_timeout_minutes: 15 });
    const [event] = await owner<{ type: string }>(
      tenant.customerId,
      "SELECT type FROM outbox_events WHERE type = 'security_policy.updated'",
      [],
    );
    expect(event).toBeDefined();
  });

  it("sets a new session's lifetime", async () => {
    const user = await createUser(tenant.customerId, { role: "viewer" });
    const { body } = await loginAttempt(user.email, user.password);
    // The token lives one idle period (15 min here); the session itself the policy's 60.
    expect(body.expires_in).toBe(15 * 60);
    const [session] = await owner<{ minutes: number }>(
      tenant.customerId,
      "SELECT round(extract(epoch FROM expires_at - created_at) / 60)::int AS minutes FROM user_sessions WHERE id = $1",
      [body.session_id],
    );
    expect(session!.minutes).toBe(60);
  });

  it("refuses values out of bounds with a 422 naming the field", async () => {
    for (const [field, value] of [
      ["session_lifetime_minutes", 14],
      ["session_lifetime_minutes", 1441],
      ["idle_timeout_minutes", 4],
      ["idle_timeout_minutes", 481],
      ["allowed_sign_in_methods", []],
      ["allowed_sign_in_methods", ["password", "password"]],
      ["mfa_required", "yes"],
    ] as const) {
      await expectProblem(await send("PATCH", "/v1/security-policy", token, { [field]: value }), {
        status: 422,
        field: `body.${field}`,
      });
    }
  });

  it("refuses passwords at login once only passkeys are allowed (after checking the password)", async () => {
    const other = await createTenant();
    const { token: admin } = await userToken(other.customerId, "admin");
    const user = await createUser(other.customerId, { role: "viewer" });
    const changed = await send("PATCH", "/v1/security-policy", admin, { allowed_sign_in_methods: ["passkey"] });
    expect(changed.status).toBe(200);
    const refused = await loginAttempt(user.email, user.password);
    expect(refused.status).toBe(403);
    expect(refused.body.type).toMatch(/\/sign-in-method-not-allowed$/);
    // A wrong password is still the generic 401: the 403 tells nothing to someone without it.
    expect((await loginAttempt(user.email, "definitely the wrong one")).status).toBe(401);
  });

  it("is per tenant: another customer's admin neither sees nor changes it", async () => {
    const mine = await createTenant();
    const theirs = await createTenant();
    const { token: mineAdmin } = await userToken(mine.customerId, "admin");
    const { token: theirAdmin } = await userToken(theirs.customerId, "admin");
    await send("PATCH", "/v1/security-policy", mineAdmin, { idle_timeout_minutes: 30 });
    await send("PATCH", "/v1/security-policy", theirAdmin, { idle_timeout_minutes: 240 });
    expect(await policyOf(mineAdmin)).toMatchObject({ idle_timeout_minutes: 30 });
    expect(await policyOf(theirAdmin)).toMatchObject({ idle_timeout_minutes: 240 });
  });
});
