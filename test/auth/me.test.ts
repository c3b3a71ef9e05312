import { env } from "cloudflare:workers";
import { SignJWT } from "jose";
import { beforeAll, describe, expect, it } from "vitest";
import { staffToken, userToken } from "../helpers/identity.ts";
import { call, createTenant, type TestTenant } from "../helpers/tenants.ts";
import { api, type Schemas } from "../helpers/http.ts";

type Me = Schemas["Me"];

let tenant: TestTenant;
beforeAll(async () => {
  tenant = await createTenant({ tier: "healthcare" });
});

describe("GET /v1/me", () => {
  it("describes an API key: its customer, tier, scopes and rate limit", async () => {
    // Through the typed client: the path, and the body's type, come from the generated schema.
    const { data: me, response } = await api(tenant.key).GET("/v1/me");
    expect(response.status).toBe(200);
    if (!me) throw new Error("no body");
    expect(me).toMatchObject({
      type: "api_key",
      customer: { id: tenant.customerId, tier: "healthcare" },
      api_key_id: tenant.keyId,
      user: null,
      super_admin: false,
      rate_limit_per_minute: 1200,
    });
    expect(me.permissions).toEqual(["invoices:read", "usage:read", "metrics:read"]);
  });

  it("describes a portal user: role and the role's permissions", async () => {
    const { user, token } = await userToken(tenant.customerId, "viewer");
    const me = await (await call("/v1/me", { token })).json<Me>();
    expect(me).toMatchObject({ type: "user_session", user: { id: user.id, role: "viewer" }, super_admin: false });
    expect(me.permissions).toContain("invoices:read");
    expect(me.permissions).not.toContain("api_keys:write");
  });

  it("marks SecureBase staff as super admin", async () => {
    const { token } = await staffToken();
    expect(await (await call("/v1/me", { token })).json<Me>()).toMatchObject({ super_admin: true, permissions: ["*"] });
  });

  it("requires credentials", async () => {
    expect((await call("/v1/me")).status).toBe(401);
  });
});

describe("session-token signing keys", () => {
  it("accept a token signed with an older key still listed (rotation without logging anyone out)", async () => {
    const [, old] = env.SESSION_SIGNING_KEYS.split(",");
    const [kid, secret] = old!.split(":");
    const bytes = Uint8Array.from(atob(secret!.replaceAll("-", "+").replaceAll("_", "/") + "="), (c) =>
      c.charCodeAt(0),
    );
    const token = await new SignJWT({
      typ: "key",
      cid: tenant.customerId,
      scp: ["invoices:read"],
      tier: "healthcare",
      mode: "test",
      rl: 1200,
    })
      .setProtectedHeader({ alg: "HS256", kid })
      .setSubject(tenant.keyId)
      .setJti(crypto.randomUUID())
      .setIssuer("securebase-edge-api")
      .setAudience("securebase-api")
      .setIssuedAt()
      .setExpirationTime("10m")
      .sign(bytes);
    expect(kid).toBe("test1");
    expect((await call("/v1/invoices", { token })).status).toBe(200);
  });

  it("sign new tokens with the first key", async () => {
    const { session_token } = await (await call("/v1/auth/token", { method: "POST", token: tenant.key })).json<{
      session_token: string;
    }>();
    expect(JSON.parse(atob(session_token.split(".")[0]!.replaceAll("-", "+").replaceAll("_", "/")))).toMatchObject({
      kid: "test2",
    });
  });
});
