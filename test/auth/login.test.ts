import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { asCustomer } from "../../dev/fixtures.ts";
import {
  hashPassword,
  verifyPassword,
  PASSWORD_ITERATIONS_PER_ROUND,
  PASSWORD_ROUNDS,
} from "../../worker/auth/passwords.ts";
import { consumeRateLimit } from "../../worker/platform/rate-limit-client.ts";
import { asOwner, proxyStats } from "../helpers/database.ts";
import { createUser, login, randomIp, type TestUser } from "../helpers/identity.ts";
import { call, createTenant, type TestTenant } from "../helpers/tenants.ts";

const attempt = (email: string, password: string, ip = randomIp()) =>
  call("/v1/auth/login", {
    method: "POST",
    headers: { "content-type": "application/json", "cf-connecting-ip": ip, "user-agent": "login-test/1.0" },
    body: JSON.stringify({ email, password }),
  });

let tenant: TestTenant;
let user: TestUser;
beforeAll(async () => {
  tenant = await createTenant();
  user = await createUser(tenant.customerId, { role: "billing" });
});

describe("POST /v1/auth/login", () => {
  it("returns a user session token and records the session", async () => {
    const response = await attempt(user.email.toUpperCase(), user.password, "203.0.113.9");
    expect(response.status).toBe(200);
    const body = await response.json<{
      session_token: string;
      user_id: string;
      session_id: string;
      customer_id: string;
      expires_in: number;
    }>();
    expect(body).toMatchObject({ user_id: user.id, customer_id: tenant.customerId });
    // The token lives one idle period (1 h by default) and is renewed while in use, up to the
    // session's 12 h (test/auth/browser-sessions.test.ts, "idle timeout").
    expect(body.expires_in).toBe(3600);
    const me = await (await call("/v1/me", { token: body.session_token })).json<{
      type: string;
      user: { role: string };
      permissions: string[];
    }>();
    expect(me).toMatchObject({ type: "user_session", user: { role: "billing" } });
    expect(me.permissions).toContain("invoices:read");
    expect(me.permissions).not.toContain("users:write");
    const { rows } = await asOwner((client) =>
      asCustomer(client, tenant.customerId, () =>
        client.query("SELECT ip, user_agent FROM user_sessions WHERE id = $1", [body.session_id]),
      ),
    );
    expect(rows).toEqual([{ ip: "203.0.113.9", user_agent: "login-test/1.0" }]);
  });

  it("answers a wrong password and an unknown email with the same generic 401", async () => {
    const wrong = await attempt(user.email, "not-the-password-at-all");
    const unknown = await attempt(`nobody-${Date.now()}@example.com`, "whatever-password-here");
    expect(wrong.status).toBe(401);
    expect(unknown.status).toBe(401);
    const [a, b] = [await wrong.json<Record<string, unknown>>(), await unknown.json<Record<string, unknown>>()];
    expect(a.detail).toBe("Invalid email or password.");
    expect(b.detail).toBe(a.detail);
    expect(b.type).toBe(a.type);
  });

  it("refuses deactivated users and users of suspended customers", async () => {
    const gone = await createUser(tenant.customerId, { status: "deactivated" });
    expect((await attempt(gone.email, gone.password)).status).toBe(401);
    const suspended = await createTenant();
    const member = await createUser(suspended.customerId);
    await asOwner((client) =>
      asCustomer(client, suspended.customerId, () =>
        client.query("UPDATE customers SET status = 'suspended' WHERE id = $1", [suspended.customerId]),
      ),
    );
    expect((await attempt(member.email, member.password)).status).toBe(401);
  });

  it("validates the body, naming the fields", async () => {
    const response = await call("/v1/auth/login", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ email: "not-an-email" }),
    });
    expect(response.status).toBe(422);
    const fields = (await response.json<{ errors: { field: string }[] }>()).errors.map((e) => e.field);
    expect(fields).toEqual(expect.arrayContaining(["body.email", "body.password"]));
  });

  it("throttles an account after 10 attempts in 15 minutes, whatever the IP", async () => {
    const target = await createUser(tenant.customerId);
    for (let i = 0; i < 10; i++) expect((await attempt(target.email, "wrong-password-guess")).status).toBe(401);
    const blocked = await attempt(target.email, target.password);
    expect(blocked.status).toBe(429);
    expect(Number(blocked.headers.get("retry-after"))).toBeGreaterThan(800);
  });

  it("throttles an IP after 100 attempts in 15 minutes, whatever the account", async () => {
    const ip = randomIp();
    let decision = await consumeRateLimit(env.RATE_LIMITER, `login:ip:${ip}`, 100, 900);
    while (decision.allowed) decision = await consumeRateLimit(env.RATE_LIMITER, `login:ip:${ip}`, 100, 900);
    const fresh = await createUser(tenant.customerId);
    expect((await attempt(fresh.email, fresh.password, ip)).status).toBe(429);
    expect((await attempt(fresh.email, fresh.password, randomIp())).status).toBe(200);
  });
});

describe("password hashing", () => {
  it("uses PBKDF2-HMAC-SHA256, 600,000 iterations in all, a fresh salt per hash", async () => {
    expect(PASSWORD_ROUNDS * PASSWORD_ITERATIONS_PER_ROUND).toBe(600_000);
    const [a, b] = [await hashPassword("same password here"), await hashPassword("same password here")];
    expect(a).toMatch(/^\$pbkdf2-sha256\$r=6,i=100000\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$/);
    expect(a).not.toBe(b);
    expect(await verifyPassword("same password here", a)).toBe(true);
    expect(await verifyPassword("same password herE", a)).toBe(false);
    expect(await verifyPassword("anything", null)).toBe(false);
  });

  it("stores users' passwords only as such hashes", async () => {
    const { rows } = await asOwner((client) =>
      asCustomer(client, tenant.customerId, () =>
        client.query("SELECT password_hash FROM users WHERE id = $1", [user.id]),
      ),
    );
    expect(rows[0]!.password_hash).toMatch(/^\$pbkdf2-sha256\$r=6,i=100000\$/);
    expect(rows[0]!.password_hash).not.toContain(user.password);
  });

  it("refuses a stored hash that asks for unbounded work", async () => {
    const bomb = (await hashPassword("x")).replace("i=100000", "i=999999");
    expect(await verifyPassword("x", bomb)).toBe(false);
  });
});

describe("POST /v1/auth/logout", () => {
  it("ends the session: the token is refused at once, with no database read", async () => {
    const token = await login(user.email, user.password);
    expect((await call("/v1/me", { token })).status).toBe(200);
    expect((await call("/v1/auth/logout", { method: "POST", token })).status).toBe(204);
    const before = (await proxyStats()).byUser.sb_api?.connections ?? 0;
    const refused = await call("/v1/invoices", { token });
    expect(refused.status).toBe(401);
    expect((await proxyStats()).byUser.sb_api?.connections ?? 0).toBe(before);
  });

  it("is not for API keys", async () => {
    const response = await call("/v1/auth/logout", { method: "POST", token: tenant.key });
    expect(response.status).toBe(400);
  });

  it("requires credentials", async () => {
    expect((await call("/v1/auth/logout", { method: "POST" })).status).toBe(401);
  });
});
