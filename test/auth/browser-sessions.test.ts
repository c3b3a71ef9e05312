// Browser sessions: ?session=cookie puts the session in an HttpOnly __Host- cookie, and a
// cookie-authenticated unsafe request must be same-origin and carry the session's CSRF token.
// Bearer tokens keep working as before. Idle timeout: a token lives one idle period and is
// renewed while in use, never past the session's end.
import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { issueSessionToken, verifySessionToken } from "../../worker/auth/session-token.ts";
import { createUser, login, randomIp, type TestUser } from "../helpers/identity.ts";
import { jsonBody, newInvite, PASSWORD, tokenOf } from "../helpers/invites.ts";
import { BASE_URL, expectProblem } from "../helpers/http.ts";
import { call, createTenant, type TestTenant } from "../helpers/tenants.ts";

interface BrowserLogin {
  cookie: string;
  csrf: string;
  setCookies: string[];
  body: Record<string, unknown>;
}

async function browserLogin(user: TestUser): Promise<BrowserLogin> {
  const res = await call("/v1/auth/login?session=cookie", {
    method: "POST",
    headers: { "content-type": "application/json", "cf-connecting-ip": randomIp() },
    body: JSON.stringify({ email: user.email, password: user.password }),
  });
  expect(res.status).toBe(200);
  const setCookies = res.headers.getSetCookie();
  const session = setCookies.find((c) => c.startsWith("__Host-sb_session="));
  if (!session) throw new Error(`no session cookie in ${setCookies.join(" | ")}`);
  const body = await res.json<Record<string, unknown>>();
  return { cookie: session.split(";")[0]!, csrf: body.csrf_token as string, setCookies, body };
}

/** What a page of our own origin sends with fetch(…, { credentials: "include" }). */
const sameOrigin = (login: BrowserLogin, extra: Record<string, string> = {}) => ({
  cookie: login.cookie,
  origin: BASE_URL,
  "sec-fetch-site": "same-origin",
  "x-csrf-token": login.csrf,
  "content-type": "application/json",
  ...extra,
});

/** The customer's API keys, read with the session cookie (a safe request needs no CSRF token). */
const keyCount = async (login: BrowserLogin) => {
  const res = await call("/v1/api-keys?limit=100", { headers: { cookie: login.cookie } });
  expect(res.status).toBe(200);
  return (await res.json<{ data: unknown[] }>()).data.length;
};

describe("browser sessions", () => {
  let tenant: TestTenant;
  let user: TestUser;

  beforeAll(async () => {
    tenant = await createTenant();
    user = await createUser(tenant.customerId, { role: "admin" });
  });

  it("sign-in with ?session=cookie sets HttpOnly __Host- cookies and answers a CSRF token, not the session", async () => {
    const login = await browserLogin(user);
    const session = login.setCookies.find((c) => c.startsWith("__Host-sb_session="))!;
    expect(session).toMatch(/;\s*HttpOnly/i);
    expect(session).toMatch(/;\s*Secure/i);
    expect(session).toMatch(/;\s*SameSite=Lax/i);
    expect(session).toMatch(/;\s*Path=\//i);
    expect(session).toMatch(/;\s*Max-Age=\d+/i);
    expect(session).not.toMatch(/Domain=/i);
    expect(login.setCookies.some((c) => c.startsWith("__Host-sb_device=") && /HttpOnly/i.test(c))).toBe(true);
    expect(login.body.token_type).toBe("Cookie");
    expect(login.body.session_token).toBeUndefined();
    expect(login.body.device_token).toBeUndefined();
    expect(login.csrf).toEqual(expect.any(String));
  });

  it("the cookie authenticates reads, and GET /v1/me repeats the CSRF token for a reloaded page", async () => {
    const login = await browserLogin(user);
    const res = await call("/v1/me", { headers: { cookie: login.cookie } });
    expect(res.status).toBe(200);
    const me = await res.json<{ user: { id: string }; csrf_token: string }>();
    expect(me.user.id).toBe(user.id);
    expect(me.csrf_token).toBe(login.csrf);
  });

  it("a same-origin write with the CSRF token succeeds", async () => {
    const login = await browserLogin(user);
    const res = await call("/v1/api-keys", {
      method: "POST",
      headers: sameOrigin(login),
      body: JSON.stringify({ name: "from the portal", scopes: ["invoices:read"] }),
    });
    expect(res.status).toBe(201);
  });

  it("a cross-site form POST carrying the cookie is refused and changes nothing", async () => {
    const login = await browserLogin(user);
    const before = await keyCount(login);
    const form = await call("/v1/api-keys", {
      method: "POST",
      headers: {
        cookie: login.cookie,
        origin: "https://evil.example",
        "sec-fetch-site": "cross-site",
        "content-type": "application/x-www-form-urlencoded",
      },
      body: "name=pwned&scopes=*",
    });
    expect(form.status).toBeGreaterThanOrEqual(400);
    expect(form.status).toBeLessThan(500);
    // The same request as JSON (what a cross-site fetch could try) is refused by the CSRF check itself.
    const json = await call("/v1/api-keys", {
      method: "POST",
      headers: { ...sameOrigin(login), origin: "https://evil.example", "sec-fetch-site": "cross-site" },
      body: JSON.stringify({ name: "pwned", scopes: ["invoices:read"] }),
    });
    await expectProblem(json, { status: 403, type: "csrf-refused" });
    expect(await keyCount(login)).toBe(before);
  });

  it("a cookie write without the CSRF token, with a wrong one, or without Origin/Sec-Fetch-Site is refused", async () => {
    const login = await browserLogin(user);
    const body = JSON.stringify({ name: "x", scopes: ["invoices:read"] });
    const { "x-csrf-token": _, ...noToken } = sameOrigin(login);
    for (const headers of [
      noToken,
      sameOrigin(login, { "x-csrf-token": `${login.csrf.slice(0, -3)}AAA` }),
      { cookie: login.cookie, "x-csrf-token": login.csrf, "content-type": "application/json" },
      sameOrigin(login, { origin: "https://api.securebase.test.evil.example" }),
      sameOrigin(login, { "sec-fetch-site": "same-site" }),
    ]) {
      const res = await call("/v1/api-keys", { method: "POST", headers, body });
      await expectProblem(res, { status: 403, type: "csrf-refused" });
    }
  });

  it("another session's CSRF token does not work", async () => {
    const [mine, theirs] = [await browserLogin(user), await browserLogin(user)];
    const res = await call("/v1/api-keys", {
      method: "POST",
      headers: sameOrigin(mine, { "x-csrf-token": theirs.csrf }),
      body: JSON.stringify({ name: "x", scopes: ["invoices:read"] }),
    });
    await expectProblem(res, { status: 403, type: "csrf-refused" });
  });

  it("Bearer tokens keep working without any CSRF header", async () => {
    const res = await call("/v1/auth/login", {
      method: "POST",
      headers: { "content-type": "application/json", "cf-connecting-ip": randomIp() },
      body: JSON.stringify({ email: user.email, password: user.password }),
    });
    const { session_token } = await res.json<{ session_token: string }>();
    expect(res.headers.getSetCookie()).toEqual([]);
    const created = await call("/v1/api-keys", {
      method: "POST",
      token: session_token,
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ name: "script", scopes: ["invoices:read"] }),
    });
    expect(created.status).toBe(201);
  });

  it("only user sessions ride in the cookie: an API key's session token there is refused", async () => {
    const exchanged = await call("/v1/auth/token", { method: "POST", token: tenant.key });
    const { session_token } = await exchanged.json<{ session_token: string }>();
    const res = await call("/v1/me", { headers: { cookie: `__Host-sb_session=${session_token}` } });
    expect(res.status).toBe(401);
  });

  it("accepting an invite with ?session=cookie signs the new user in with the cookie", async () => {
    const sent = await newInvite(await login(user.email, user.password), "viewer");
    const res = await call(
      "/v1/invites/accept?session=cookie",
      jsonBody({ token: await tokenOf(sent), name: "Cookie Person", password: PASSWORD }),
    );
    expect(res.status).toBe(201);
    const body = await res.json<Record<string, unknown>>();
    expect(body.session_token).toBeUndefined();
    expect(body.token_type).toBe("Cookie");
    const cookie = res.headers.getSetCookie().find((c) => c.startsWith("__Host-sb_session="))!;
    const me = await call("/v1/me", { headers: { cookie: cookie.split(";")[0]! } });
    expect((await me.json<{ user: { email: string } }>()).user.email).toBe(sent.email);
  });

  it("logging out clears the cookie and the old cookie is refused", async () => {
    const login = await browserLogin(user);
    const out = await call("/v1/auth/logout", { method: "POST", headers: sameOrigin(login) });
    expect(out.status).toBe(204);
    expect(out.headers.getSetCookie().some((c) => /^__Host-sb_session=;/.test(c) && /Max-Age=0/i.test(c))).toBe(true);
    const after = await call("/v1/me", { headers: { cookie: login.cookie } });
    expect(after.status).toBe(401);
  });
});

describe("idle timeout", () => {
  let user: TestUser;
  beforeAll(async () => {
    const tenant = await createTenant();
    user = await createUser(tenant.customerId, { role: "viewer" });
  });

  /** A real session's token, re-signed as if issued `ageMinutes` ago with the same session. */
  async function agedToken(ageMinutes: number, sessionEndsInMinutes?: number) {
    const login = await call("/v1/auth/login", {
      method: "POST",
      headers: { "content-type": "application/json", "cf-connecting-ip": randomIp() },
      body: JSON.stringify({ email: user.email, password: user.password }),
    });
    const { session_token } = await login.json<{ session_token: string }>();
    const principal = (await verifySessionToken(env.SESSION_SIGNING_KEYS, session_token))!;
    expect(principal.idleSeconds).toBeGreaterThan(0);
    const now = Date.now();
    const end = sessionEndsInMinutes === undefined ? principal.sessionEndsAt! : now + sessionEndsInMinutes * 60_000;
    const aged = { ...principal, expiresAt: end, sessionEndsAt: end };
    const issuedAt = now - ageMinutes * 60_000;
    return (await issueSessionToken(env.SESSION_SIGNING_KEYS, aged, principal.idleSeconds!, issuedAt)).token;
  }

  it("a token past half its idle period is renewed in the answer, for another full idle period", async () => {
    const token = await agedToken(40);
    const res = await call("/v1/me", { token });
    expect(res.status).toBe(200);
    const renewed = res.headers.get("session-token");
    expect(renewed).toBeTruthy();
    const before = (await verifySessionToken(env.SESSION_SIGNING_KEYS, token))!;
    const after = (await verifySessionToken(env.SESSION_SIGNING_KEYS, renewed!))!;
    expect(after.sessionId).toBe(before.sessionId);
    expect(after.expiresAt!).toBeGreaterThan(before.expiresAt!);
    expect((await call("/v1/me", { token: renewed! })).status).toBe(200);
  });

  it("a fresh token is not renewed", async () => {
    const res = await call("/v1/me", { token: await agedToken(1) });
    expect(res.status).toBe(200);
    expect(res.headers.get("session-token")).toBeNull();
  });

  it("a token idle for longer than the idle timeout is refused", async () => {
    const res = await call("/v1/me", { token: await agedToken(61) });
    expect(res.status).toBe(401);
  });

  it("renewal never outlives the session's end", async () => {
    const res = await call("/v1/me", { token: await agedToken(40, 10) });
    expect(res.status).toBe(200);
    expect(res.headers.get("session-token")).toBeNull();
  });

  it("a cookie session is renewed by replacing the cookie", async () => {
    const token = await agedToken(40);
    const res = await call("/v1/me", { headers: { cookie: `__Host-sb_session=${token}` } });
    expect(res.status).toBe(200);
    const cookie = res.headers.getSetCookie().find((c) => c.startsWith("__Host-sb_session="));
    expect(cookie).toMatch(/HttpOnly/i);
    expect(cookie!.split(";")[0]).not.toBe(`__Host-sb_session=${token}`);
  });
});
