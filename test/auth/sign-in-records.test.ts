// Sign-in records: a failed sign-in on a real account is in that customer's audit trail (with
// why, never the password); every sign-in records its method; a sign-in from a device the user
// never used emails the user, and one from a known device does not.
import { beforeAll, describe, expect, it } from "vitest";
import { createUser, login, randomIp, type TestUser } from "../helpers/identity.ts";
import { sentEmails } from "../helpers/sink.ts";
import { call, createTenant, type TestTenant } from "../helpers/tenants.ts";
import { eventually, expectNothingAfter } from "../helpers/wait.ts";

interface AuditRow {
  action: string;
  resource: { type: string; id: string | null };
  data: Record<string, unknown>;
  actor: { type: string; id: string };
}

const attempt = (email: string, password: string, deviceToken?: string) =>
  call("/v1/auth/login", {
    method: "POST",
    headers: { "content-type": "application/json", "cf-connecting-ip": randomIp(), "user-agent": "records-test/1.0" },
    body: JSON.stringify({ email, password, ...(deviceToken ? { device_token: deviceToken } : {}) }),
  });

async function auditOf(adminToken: string, action: string): Promise<AuditRow[]> {
  const res = await call(`/v1/audit-events?action=${action}&limit=100`, { token: adminToken });
  expect(res.status).toBe(200);
  return (await res.json<{ data: AuditRow[] }>()).data;
}

const newDeviceEmails = async (address: string) =>
  (await sentEmails()).filter(
    (e) =>
      e.body.Destination.ToAddresses.includes(address) &&
      e.body.Content.Simple.Subject.Data === "New sign-in to your SecureBase account",
  );

describe("sign-in records", () => {
  let tenant: TestTenant;
  let admin: { user: TestUser; token: string };

  beforeAll(async () => {
    tenant = await createTenant();
    const user = await createUser(tenant.customerId, { role: "admin" });
    admin = { user, token: await login(user.email, user.password) };
  });

  it("a wrong password on a real account is audited with the reason, never the password", async () => {
    const target = await createUser(tenant.customerId, { role: "viewer" });
    const guess = "not-the-password-but-long";
    expect((await attempt(target.email, guess)).status).toBe(401);
    const rows = await auditOf(admin.token, "user.login_failed");
    const mine = rows.filter((r) => r.resource.id === target.id);
    expect(mine).toHaveLength(1);
    expect(mine[0]!.data).toMatchObject({ reason: "wrong_password", method: "password" });
    expect(JSON.stringify(mine[0])).not.toContain(guess);
  });

  it("a sign-in by a deactivated user is audited as such, and still answers the generic 401", async () => {
    const gone = await createUser(tenant.customerId, { role: "viewer", status: "deactivated" });
    const res = await attempt(gone.email, gone.password);
    expect(res.status).toBe(401);
    expect((await res.json<{ detail: string }>()).detail).toBe("Invalid email or password.");
    const rows = await auditOf(admin.token, "user.login_failed");
    expect(rows.find((r) => r.resource.id === gone.id)?.data).toMatchObject({ reason: "user_inactive" });
  });

  it("another customer's audit trail never shows my failed sign-ins", async () => {
    const target = await createUser(tenant.customerId, { role: "viewer" });
    await attempt(target.email, "wrong wrong wrong wrong");
    const other = await createTenant();
    const otherAdmin = await createUser(other.customerId, { role: "admin" });
    const rows = await auditOf(await login(otherAdmin.email, otherAdmin.password), "user.login_failed");
    expect(rows.some((r) => r.resource.id === target.id)).toBe(false);
  });

  it("a first sign-in from a device emails the user; one from a known device does not", async () => {
    const user = await createUser(tenant.customerId, { role: "developer" });
    const first = await attempt(user.email, user.password);
    expect(first.status).toBe(200);
    const { device_token } = await first.json<{ device_token: string }>();
    await eventually(async () => expect(await newDeviceEmails(user.email)).toHaveLength(1));
    const [email] = await newDeviceEmails(user.email);
    expect(email!.body.Content.Simple.Body.Text.Data).toContain("records-test/1.0");

    expect((await attempt(user.email, user.password, device_token)).status).toBe(200);
    // A third sign-in from yet another device is the marker: once its email is out, the known
    // device's would have been too.
    expect((await attempt(user.email, user.password)).status).toBe(200);
    await expectNothingAfter(
      async () => expect((await newDeviceEmails(user.email)).length).toBeGreaterThanOrEqual(2),
      async () => expect(await newDeviceEmails(user.email)).toHaveLength(2),
    );
    const logins = (await auditOf(admin.token, "user.logged_in")).filter((r) => r.actor.id === user.id);
    expect(logins.map((r) => r.data.new_device).sort()).toEqual([false, true, true]);
    expect(logins.every((r) => r.data.method === "password")).toBe(true);
  });
});
