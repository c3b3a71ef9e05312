import { env } from "cloudflare:workers";
import { SignJWT } from "jose";
import { beforeAll, describe, expect, it } from "vitest";
import { generateApiKey } from "../../worker/auth/api-key.ts";
import { asCustomer, createApiKey } from "../../dev/fixtures.ts";
import { asOwner } from "../helpers/database.ts";
import { call, createTenant, type TestTenant } from "../helpers/tenants.ts";
import type { Schemas } from "../helpers/http.ts";

type TokenBody = Schemas["SessionToken"];

let tenant: TestTenant;
beforeAll(async () => {
  tenant = await createTenant({ invoices: 1 });
});

describe("POST /v1/auth/token", () => {
  it("exchanges an API key for a session token with a kid, bound to the key's customer", async () => {
    const response = await call("/v1/auth/token", { method: "POST", token: tenant.key });
    expect(response.status).toBe(200);
    const body = await response.json<TokenBody>();
    expect(body).toMatchObject({ customer_id: tenant.customerId, token_type: "Bearer", expires_in: 3600 });
    const [header, payload] = body.session_token
      .split(".")
      .slice(0, 2)
      .map((part) => JSON.parse(atob(part.replaceAll("-", "+").replaceAll("_", "/"))));
    expect(header).toMatchObject({ alg: "HS256", kid: "test2" });
    expect(payload).toMatchObject({ sub: tenant.keyId, cid: tenant.customerId });
  });

  it("issues a token that works on every endpoint in place of the key", async () => {
    const { session_token } = await (
      await call("/v1/auth/token", { method: "POST", token: tenant.key })
    ).json<TokenBody>();
    const response = await call("/v1/invoices", { token: session_token });
    expect(response.status).toBe(200);
    const list = await response.json<{ data: { id: string }[] }>();
    expect(list.data.map((i) => i.id)).toEqual(tenant.invoiceIds);
  });

  it("never outlives an API key that expires sooner", async () => {
    const key = await asOwner((client) =>
      createApiKey(client, tenant.customerId, { expiresAt: new Date(Date.now() + 600_000) }),
    );
    const body = await (await call("/v1/auth/token", { method: "POST", token: key.key })).json<TokenBody>();
    expect(body.expires_in).toBeGreaterThan(590);
    expect(body.expires_in).toBeLessThanOrEqual(600);
  });

  it("refuses a session token in place of the API key", async () => {
    const { session_token } = await (
      await call("/v1/auth/token", { method: "POST", token: tenant.key })
    ).json<TokenBody>();
    const response = await call("/v1/auth/token", { method: "POST", token: session_token });
    expect(response.status).toBe(401);
    expect((await response.json<{ detail: string }>()).detail).toMatch(/API key/);
  });
});

describe("credentials that are refused with a 401 problem", () => {
  const expect401 = async (response: Response) => {
    expect(response.status).toBe(401);
    expect(response.headers.get("content-type")).toBe("application/problem+json");
    expect(response.headers.get("www-authenticate")).toContain("Bearer");
    expect(await response.json()).toMatchObject({ status: 401, title: "Unauthorized" });
  };

  it("no Authorization header", async () => {
    await expect401(await call("/v1/invoices"));
  });

  it("a well-formed key that was never issued", async () => {
    await expect401(await call("/v1/invoices", { token: generateApiKey("live").key }));
  });

  it("a non-Bearer scheme", async () => {
    await expect401(await call("/v1/invoices", { headers: { authorization: `Basic ${btoa("a:b")}` } }));
  });

  it("a session token whose signature was tampered with", async () => {
    const { session_token } = await (
      await call("/v1/auth/token", { method: "POST", token: tenant.key })
    ).json<TokenBody>();
    const tampered = session_token.slice(0, -4) + (session_token.endsWith("AAAA") ? "BBBB" : "AAAA");
    await expect401(await call("/v1/invoices", { token: tampered }));
  });

  it("a session token signed with a kid the API does not know", async () => {
    const token = await new SignJWT({ cid: tenant.customerId, scp: ["invoices:read"] })
      .setProtectedHeader({ alg: "HS256", kid: "stranger" })
      .setSubject(tenant.keyId)
      .setIssuer("securebase-edge-api")
      .setAudience("securebase-api")
      .setExpirationTime("1h")
      .sign(new Uint8Array(32));
    await expect401(await call("/v1/invoices", { token }));
  });

  it("an expired session token signed with a real key", async () => {
    const [, secret] = env.SESSION_SIGNING_KEYS.split(",")[0]!.split(":");
    const bytes = Uint8Array.from(atob(secret!.replaceAll("-", "+").replaceAll("_", "/") + "="), (ch) =>
      ch.charCodeAt(0),
    );
    const token = await new SignJWT({ cid: tenant.customerId, scp: ["invoices:read"] })
      .setProtectedHeader({ alg: "HS256", kid: "test2" })
      .setSubject(tenant.keyId)
      .setIssuer("securebase-edge-api")
      .setAudience("securebase-api")
      .setIssuedAt(Math.floor(Date.now() / 1000) - 7200)
      .setExpirationTime(Math.floor(Date.now() / 1000) - 3600)
      .sign(bytes);
    await expect401(await call("/v1/invoices", { token }));
  });

  it("a key that has expired", async () => {
    const key = await asOwner((client) =>
      createApiKey(client, tenant.customerId, { expiresAt: new Date(Date.now() - 1000) }),
    );
    await expect401(await call("/v1/invoices", { token: key.key }));
  });

  it("a key that was revoked", async () => {
    const key = await asOwner((client) => createApiKey(client, tenant.customerId));
    await asOwner((client) =>
      asCustomer(client, tenant.customerId, () =>
        client.query("UPDATE api_keys SET revoked_at = now() WHERE id = $1", [key.id]),
      ),
    );
    await expect401(await call("/v1/invoices", { token: key.key }));
  });

  it("a key of a suspended customer", async () => {
    const suspended = await createTenant();
    await asOwner((client) =>
      asCustomer(client, suspended.customerId, () =>
        client.query("UPDATE customers SET status = 'suspended' WHERE id = $1", [suspended.customerId]),
      ),
    );
    await expect401(await call("/v1/invoices", { token: suspended.key }));
  });
});

describe("scopes", () => {
  it("answers 403 when the key lacks the route's scope", async () => {
    const limited = await createTenant({ scopes: ["usage:read"] });
    const response = await call("/v1/invoices", { token: limited.key });
    expect(response.status).toBe(403);
    expect(await response.json()).toMatchObject({ status: 403, detail: expect.stringContaining("invoices:read") });
  });
});
