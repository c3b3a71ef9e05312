// TOTP enrolment (docs/auth.md, "Second factors"): a pending secret stored sealed, confirmed by
// a code (which answers ten recovery codes, stored hashed), a code accepted once, removal only
// with a code; every change audited and emailed.
import { beforeAll, describe, expect, it } from "vitest";
import { expectProblem, send } from "../helpers/http.ts";
import { userToken } from "../helpers/identity.ts";
import { owner, sha256hex } from "../helpers/invites.ts";
import { Authenticator, codeAt, enrolTotp } from "../helpers/mfa.ts";
import { sentEmails } from "../helpers/sink.ts";
import { createTenant, type TestTenant } from "../helpers/tenants.ts";
import { eventually } from "../helpers/wait.ts";

let tenant: TestTenant;
beforeAll(async () => {
  tenant = await createTenant();
});

const factorEmails = (address: string) =>
  sentEmails().then((all) =>
    all
      .filter((e) => e.body.Destination.ToAddresses.includes(address))
      .map((e) => e.body.Content.Simple.Body.Text.Data)
      .filter((text) => text.includes("second factor") || text.includes("authenticator")),
  );

describe("POST /v1/me/mfa/totp", () => {
  it("answers a pending secret and otpauth URI, stored sealed, not yet confirmed", async () => {
    const { user, token } = await userToken(tenant.customerId, "developer");
    const response = await send("POST", "/v1/me/mfa/totp", token);
    expect(response.status).toBe(201);
    const body = await response.json<{ secret: string; otpauth_uri: string }>();
    expect(body.secret).toMatch(/^[A-Z2-7]{32}$/);
    expect(body.otpauth_uri).toMatch(/^otpauth:\/\/totp\/SecureBase:/);
    expect(body.otpauth_uri).toContain(`secret=${body.secret}`);
    expect(body.otpauth_uri).toContain("algorithm=SHA1&digits=6&period=30");
    const rows = await owner<{ secret_sealed: string; confirmed_at: Date | null }>(
      tenant.customerId,
      "SELECT secret_sealed, confirmed_at FROM user_totp WHERE user_id = $1",
      [user.id],
    );
    expect(rows).toHaveLength(1);
    expect(rows[0]!.secret_sealed).toMatch(/^v2\./);
    expect(rows[0]!.secret_sealed).not.toContain(body.secret);
    expect(rows[0]!.confirmed_at).toBeNull();
  });

  it("replaces a pending secret when called again; the old one no longer confirms", async () => {
    const { user, token } = await userToken(tenant.customerId, "developer");
    const first = await (await send("POST", "/v1/me/mfa/totp", token)).json<{ secret: string }>();
    const second = await (await send("POST", "/v1/me/mfa/totp", token)).json<{ secret: string }>();
    expect(second.secret).not.toBe(first.secret);
    const rows = await owner(tenant.customerId, "SELECT id FROM user_totp WHERE user_id = $1", [user.id]);
    expect(rows).toHaveLength(1);
    await expectProblem(await send("POST", "/v1/me/mfa/totp/confirm", token, { code: codeAt(first.secret) }), {
      status: 422,
      field: "body.code",
    });
  });

  it("is a 409 once a confirmed authenticator exists", async () => {
    const { token } = await userToken(tenant.customerId, "developer");
    await enrolTotp(token);
    await expectProblem(await send("POST", "/v1/me/mfa/totp", token), { status: 409, type: "totp-exists" });
  });

  it("refuses API keys (they have no factors)", async () => {
    await expectProblem(await send("POST", "/v1/me/mfa/totp", tenant.key), {
      status: 403,
      type: "user-session-required",
    });
  });
});

describe("POST /v1/me/mfa/totp/confirm", () => {
  it("confirms with a current code: ten recovery codes, stored as SHA-256, audited and emailed", async () => {
    const { user, token } = await userToken(tenant.customerId, "developer");
    const { recoveryCodes } = await enrolTotp(token);
    expect(recoveryCodes).toHaveLength(10);
    expect(new Set(recoveryCodes).size).toBe(10);
    for (const code of recoveryCodes) expect(code).toMatch(/^[a-z2-7]{4}(-[a-z2-7]{4}){3}$/);
    const stored = await owner<{ hash: string }>(
      tenant.customerId,
      "SELECT encode(code_hash, 'hex') AS hash FROM user_recovery_codes WHERE user_id = $1",
      [user.id],
    );
    const expected = await Promise.all(recoveryCodes.map((c) => sha256hex(c.replaceAll("-", ""))));
    expect(stored.map((r) => r.hash).sort()).toEqual(expected.sort());
    const [totp] = await owner<{ confirmed: boolean }>(
      tenant.customerId,
      "SELECT confirmed_at IS NOT NULL AS confirmed FROM user_totp WHERE user_id = $1",
      [user.id],
    );
    expect(totp!.confirmed).toBe(true);
    const audits = await owner<{ action: string }>(
      tenant.customerId,
      "SELECT action FROM audit_events WHERE resource_id = $1 AND action = 'totp.enrolled'",
      [user.id],
    );
    expect(audits).toHaveLength(1);
    await eventually(async () => {
      const texts = await factorEmails(user.email);
      expect(texts.some((t) => t.includes("authenticator app (TOTP) was set up"))).toBe(true);
    });
  });

  it("refuses a wrong code with a 422 naming body.code", async () => {
    const { token } = await userToken(tenant.customerId, "developer");
    const { secret } = await (await send("POST", "/v1/me/mfa/totp", token)).json<{ secret: string }>();
    const wrong = codeAt(secret) === "000000" ? "111111" : "000000";
    await expectProblem(await send("POST", "/v1/me/mfa/totp/confirm", token, { code: wrong }), {
      status: 422,
      field: "body.code",
    });
    await expectProblem(await send("POST", "/v1/me/mfa/totp/confirm", token, { code: codeAt(secret, 3) }), {
      status: 422,
      field: "body.code",
    });
  });
});

describe("DELETE /v1/me/mfa/totp", () => {
  it("needs a current code: a wrong one is a 422 and removes nothing", async () => {
    const { user, token } = await userToken(tenant.customerId, "developer");
    await enrolTotp(token);
    await expectProblem(await send("DELETE", "/v1/me/mfa/totp", token, { code: "123456" }), {
      status: 422,
      field: "body.code",
    });
    await expectProblem(await send("DELETE", "/v1/me/mfa/totp", token, {}), { status: 422 });
    const rows = await owner(tenant.customerId, "SELECT id FROM user_totp WHERE user_id = $1", [user.id]);
    expect(rows).toHaveLength(1);
  });

  it("refuses a replayed code: the code that confirmed the app does not remove it", async () => {
    const { token } = await userToken(tenant.customerId, "developer");
    const { secret } = await (await send("POST", "/v1/me/mfa/totp", token)).json<{ secret: string }>();
    const app = new Authenticator(secret);
    const code = await app.next();
    expect((await send("POST", "/v1/me/mfa/totp/confirm", token, { code })).status).toBe(200);
    await expectProblem(await send("DELETE", "/v1/me/mfa/totp", token, { code }), {
      status: 422,
      field: "body.code",
    });
    expect((await send("DELETE", "/v1/me/mfa/totp", token, { code: await app.next() })).status).toBe(204);
  });

  it("removes the app and the recovery codes with a code, audited and emailed", async () => {
    const { user, token } = await userToken(tenant.customerId, "developer");
    const { app } = await enrolTotp(token);
    expect((await send("DELETE", "/v1/me/mfa/totp", token, { code: await app.next() })).status).toBe(204);
    const left = await owner(
      tenant.customerId,
      "SELECT 1 FROM user_totp WHERE user_id = $1 UNION ALL SELECT 1 FROM user_recovery_codes WHERE user_id = $1",
      [user.id],
    );
    expect(left).toEqual([]);
    const audits = await owner(
      tenant.customerId,
      "SELECT 1 FROM audit_events WHERE resource_id = $1 AND action = 'totp.removed'",
      [user.id],
    );
    expect(audits).toHaveLength(1);
    await eventually(async () => {
      const texts = await factorEmails(user.email);
      expect(texts.some((t) => t.includes("authenticator app (TOTP) and recovery codes were removed"))).toBe(true);
    });
    // Enrolling again works.
    await enrolTotp(token);
  });

  it("also takes an unused recovery code", async () => {
    const { token } = await userToken(tenant.customerId, "developer");
    const { recoveryCodes } = await enrolTotp(token);
    expect((await send("DELETE", "/v1/me/mfa/totp", token, { recovery_code: recoveryCodes[3] })).status).toBe(204);
  });
});
