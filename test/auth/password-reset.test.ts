// Password reset by emailed link (docs/auth.md, "Passwords"): the same 202 for any address, the
// token only in the email's portal link and stored hashed, single use, 30 minutes, voided by a
// newer request; confirming applies the rules, ends every session, and is audited; throttled.
import { beforeAll, describe, expect, it } from "vitest";
import { env } from "cloudflare:workers";
import { portalLink } from "../../worker/platform/portal-links.ts";
import { expectProblem, send, call } from "../helpers/http.ts";
import { createUser, login, randomIp, type TestUser } from "../helpers/identity.ts";
import { owner, sha256hex, uniqueEmail } from "../helpers/invites.ts";
import { sentEmails } from "../helpers/sink.ts";
import { createTenant, type TestTenant } from "../helpers/tenants.ts";
import { eventually, expectNothingAfter } from "../helpers/wait.ts";

const NEW_PASSWORD = "a fresh reset passphrase";
const post = (path: string, body: unknown, ip = randomIp()) =>
  call(path, {
    method: "POST",
    headers: { "content-type": "application/json", "cf-connecting-ip": ip },
    body: JSON.stringify(body),
  });
const requestReset = (email: string, ip?: string) => post("/v1/auth/password-resets", { email }, ip);
const confirm = (token: string, newPassword = NEW_PASSWORD, ip?: string) =>
  post("/v1/auth/password-resets/confirm", { token, new_password: newPassword }, ip);

/** The reset tokens emailed to `address`, oldest first, once `count` have arrived. */
const emailedResetTokens = (address: string, count = 1) =>
  eventually(async () => {
    const links = (await sentEmails())
      .filter((e) => e.body.Destination.ToAddresses.includes(address))
      .map((e) => e.body.Content.Simple.Body.Text.Data)
      .map((text) => /\/reset-password\?token=([A-Za-z0-9_-]+)/.exec(text)?.[1])
      .filter((t): t is string => t !== undefined);
    if (links.length < count) throw new Error(`sink: ${links.length} reset email(s) to ${address}, want ${count}`);
    return links;
  });

let tenant: TestTenant;
beforeAll(async () => {
  tenant = await createTenant();
});
const freshUser = (): Promise<TestUser> => createUser(tenant.customerId, { role: "developer" });

describe("POST /v1/auth/password-resets", () => {
  it("emails a portal link with the token, stores only its SHA-256, valid 30 minutes", async () => {
    const user = await freshUser();
    const response = await requestReset(user.email.toUpperCase());
    expect(response.status).toBe(202);
    const [token] = await emailedResetTokens(user.email);
    const email = (await sentEmails()).find((e) => e.body.Destination.ToAddresses.includes(user.email))!;
    expect(email.body.Content.Simple.Body.Text.Data).toContain(`${portalLink(env, "/reset-password")}?token=${token}`);
    const [row] = await owner<{ token_hash: string; minutes: number }>(
      tenant.customerId,
      `SELECT encode(token_hash, 'hex') AS token_hash,
              round(extract(epoch FROM expires_at - created_at) / 60)::int AS minutes
       FROM password_resets WHERE user_id = $1`,
      [user.id],
    );
    expect(row).toEqual({ token_hash: await sha256hex(token!), minutes: 30 });
  });

  it("answers an unknown address with the same 202 body, and emails nobody", async () => {
    const user = await freshUser();
    const known = await requestReset(user.email);
    const nobody = uniqueEmail("nobody");
    const unknown = await requestReset(nobody);
    expect(unknown.status).toBe(known.status);
    expect(await unknown.json()).toEqual(await known.json());
    // The known address's email arriving proves the queue ran past both requests.
    await expectNothingAfter(
      () => emailedResetTokens(user.email),
      async () =>
        expect((await sentEmails()).filter((e) => e.body.Destination.ToAddresses.includes(nobody))).toEqual([]),
    );
  });
});

describe("POST /v1/auth/password-resets/confirm", () => {
  it("sets the password, ends every session of the user, and audits it", async () => {
    const user = await freshUser();
    const sessions = [await login(user.email, user.password), await login(user.email, user.password)];
    expect((await requestReset(user.email)).status).toBe(202);
    const [token] = await emailedResetTokens(user.email);
    expect((await confirm(token!)).status).toBe(204);

    for (const session of sessions) await expectProblem(await send("GET", "/v1/me", session), { status: 401 });
    await expect(login(user.email, user.password)).rejects.toThrow(/401/);
    expect(await login(user.email, NEW_PASSWORD)).toBeTruthy();
    const audits = await owner<{ action: string; data: unknown }>(
      tenant.customerId,
      "SELECT action, data FROM audit_events WHERE resource_id = $1 AND action = 'user.password_reset'",
      [user.id],
    );
    expect(audits).toEqual([{ action: "user.password_reset", data: { method: "reset", ended_sessions: 2 } }]);
    expect(JSON.stringify(audits)).not.toContain(NEW_PASSWORD);
  });

  it("refuses a used token: the same 404 as an unknown one", async () => {
    const user = await freshUser();
    await requestReset(user.email);
    const [token] = await emailedResetTokens(user.email);
    expect((await confirm(token!)).status).toBe(204);
    await expectProblem(await confirm(token!, "yet another long passphrase"), { status: 404, type: "reset-invalid" });
    await expectProblem(await confirm("not-a-token-at-all"), { status: 404, type: "reset-invalid" });
    expect(await login(user.email, NEW_PASSWORD)).toBeTruthy();
  });

  it("refuses an expired token", async () => {
    const user = await freshUser();
    await requestReset(user.email);
    const [token] = await emailedResetTokens(user.email);
    await owner(
      tenant.customerId,
      "UPDATE password_resets SET created_at = now() - interval '31 minutes', expires_at = now() - interval '1 minute' WHERE user_id = $1",
      [user.id],
    );
    await expectProblem(await confirm(token!), { status: 404, type: "reset-invalid" });
    expect(await login(user.email, user.password)).toBeTruthy();
  });

  it("voids an earlier link when a second is requested", async () => {
    const user = await freshUser();
    await requestReset(user.email);
    await emailedResetTokens(user.email, 1);
    await requestReset(user.email);
    const [first, second] = await emailedResetTokens(user.email, 2);
    expect(first).not.toBe(second);
    await expectProblem(await confirm(first!), { status: 404, type: "reset-invalid" });
    expect((await confirm(second!)).status).toBe(204);
  });

  it("applies the password rules (422 naming body.new_password) and the link stays usable", async () => {
    const user = await freshUser();
    await requestReset(user.email);
    const [token] = await emailedResetTokens(user.email);
    const problem = await expectProblem(await confirm(token!, "short"), { status: 422, field: "body.new_password" });
    expect(problem.errors).toContainEqual(expect.objectContaining({ code: "too_short" }));
    await expectProblem(await confirm(token!, "Password1234"), { status: 422, field: "body.new_password" });
    expect((await confirm(token!)).status).toBe(204);
  });
});

describe("throttles", () => {
  it("allows 3 requests per address per window, then 429, even from different networks", async () => {
    const user = await freshUser();
    for (let i = 0; i < 3; i++) expect((await requestReset(user.email)).status).toBe(202);
    await expectProblem(await requestReset(user.email), { status: 429, type: "rate-limited" });
    // An unknown address is throttled the same way (no difference to observe).
    const nobody = uniqueEmail("nobody");
    for (let i = 0; i < 3; i++) expect((await requestReset(nobody)).status).toBe(202);
    await expectProblem(await requestReset(nobody), { status: 429, type: "rate-limited" });
  });

  it("allows 20 attempts per network per window for asking and for confirming", async () => {
    const ip = randomIp().replace(/^198\.18\./, "198.19.");
    for (let i = 0; i < 20; i++) expect((await requestReset(uniqueEmail("spray"), ip)).status).toBe(202);
    await expectProblem(await requestReset(uniqueEmail("spray"), ip), { status: 429 });
    for (let i = 0; i < 20; i++) expect((await confirm(`guess-${i}`, NEW_PASSWORD, ip)).status).toBe(404);
    await expectProblem(await confirm("guess-21", NEW_PASSWORD, ip), { status: 429 });
  });
});

describe("bad input", () => {
  it("names the field of a malformed body with a 422", async () => {
    await expectProblem(await post("/v1/auth/password-resets", { email: "not an email" }), {
      status: 422,
      field: "body.email",
    });
    const problem = await expectProblem(await post("/v1/auth/password-resets/confirm", {}), { status: 422 });
    expect(problem.errors!.map((e) => e.field).sort()).toEqual(["body.new_password", "body.token"]);
  });
});
