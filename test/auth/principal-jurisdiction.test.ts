// Residency (docs/residency.md): every credential lookup carries the customer's data_jurisdiction
// into the principal, so the request quota's Durable Object is created where the customer's data
// lives. Observed where it is stored: the key lookup function, the key's KV cache entry, and the
// signed session tokens (key exchange and password login), verified as the middleware does.
import { env } from "cloudflare:workers";
import { SignJWT } from "jose";
import { beforeAll, describe, expect, it } from "vitest";
import { asCustomer, createApiKey } from "../../dev/fixtures.ts";
import { hashApiKey } from "../../worker/auth/api-key.ts";
import { principalKvKey } from "../../worker/auth/principal-cache.ts";
import { jurisdictionOf, type Principal } from "../../worker/auth/principal.ts";
import { signingKeys, verifySessionToken } from "../../worker/auth/session-token.ts";
import { asApiRole, asOwner } from "../helpers/database.ts";
import { call, send } from "../helpers/http.ts";
import { login, createUser } from "../helpers/identity.ts";
import { eventually } from "../helpers/wait.ts";

type Jurisdiction = Principal["dataJurisdiction"];
let counter = 0;

/** A customer onboarded in `jurisdiction` (fixed from its insert on), with a key and a member. */
async function residentCustomer(jurisdiction: Jurisdiction, tier = "standard") {
  const tag = `${Date.now().toString(36)}j${counter++}${Math.random().toString(36).slice(2, 6)}`;
  const { customerId, key } = await asOwner(async (client) => {
    const id = (await client.query("SELECT app.uuid_v7() AS id")).rows[0]!.id as string;
    await asCustomer(client, id, async () => {
      await client.query(
        "INSERT INTO customers (id, name, email, tier, data_jurisdiction) VALUES ($1, $2, $3, $4, $5)",
        [id, `Resident ${tag}`, `ops+${tag}@example.com`, tier, jurisdiction],
      );
      // No MFA requirement: the member's password login answers a session.
      await client.query(
        `INSERT INTO customer_security_policies
           (customer_id, mfa_required, session_lifetime_minutes, idle_timeout_minutes, allowed_sign_in_methods)
         VALUES ($1, false, 720, 60, ARRAY['password', 'passkey'])`,
        [id],
      );
    });
    const created = await createApiKey(client, id);
    return { customerId: id, key: created.key };
  });
  return { customerId, key, user: await createUser(customerId, { role: "viewer" }) };
}

let eu: Awaited<ReturnType<typeof residentCustomer>>;
beforeAll(async () => {
  eu = await residentCustomer("eu");
});

describe("API keys", () => {
  it("resolve to the customer's jurisdiction in the lookup itself (one query, no extra round trip)", async () => {
    const hash = await hashApiKey(eu.key);
    const { rows } = await asApiRole((client) =>
      client.query("SELECT customer_id, data_jurisdiction FROM app.resolve_api_key(decode($1, 'hex'))", [hash]),
    );
    expect(rows).toEqual([{ customer_id: eu.customerId, data_jurisdiction: "eu" }]);
  });

  it("cache a principal in KV that carries the jurisdiction", async () => {
    expect((await call("/v1/me", { token: eu.key })).status).toBe(200);
    const hash = await hashApiKey(eu.key);
    const stored = await eventually(async () => {
      const entry = await env.AUTH_CACHE.get<{ principal: Principal }>(principalKvKey(hash), "json");
      expect(entry).not.toBeNull();
      return entry!;
    });
    expect(stored.principal).toMatchObject({ customerId: eu.customerId, kind: "api_key", dataJurisdiction: "eu" });
    expect(jurisdictionOf(stored.principal)).toBe("eu");
  });

  it("pass the jurisdiction on to the session token they are exchanged for", async () => {
    const response = await call("/v1/auth/token", { method: "POST", token: eu.key });
    expect(response.status).toBe(200);
    const { session_token } = await response.json<{ session_token: string }>();
    const principal = await verifySessionToken(env.SESSION_SIGNING_KEYS, session_token);
    expect(principal).toMatchObject({ kind: "session_token", customerId: eu.customerId, dataJurisdiction: "eu" });
  });
});

describe("platform keys", () => {
  it("cache a principal in its home customer's jurisdiction (the creating staff member's customer)", async () => {
    const home = await residentCustomer("eu");
    const staffMember = await createUser(home.customerId, { role: "admin", superAdmin: true });
    const staff = await login(staffMember.email, staffMember.password);
    const created = await send("POST", "/v1/admin/api-keys", staff, { name: "collector", scopes: ["usage:ingest"] });
    expect(created.status, await created.clone().text()).toBe(201);
    const { key } = await created.json<{ key: string }>();
    const today = new Date().toISOString().slice(0, 10);
    const ingest = await send("POST", "/v1/admin/usage", key, {
      events: [
        {
          event_id: `jur-${Date.now()}`,
          customer_id: eu.customerId,
          metric: "nat_processing_gb",
          quantity: "1.5",
          occurred_at: `${today}T00:02:00Z`,
        },
      ],
    });
    expect(ingest.status, await ingest.clone().text()).toBeLessThan(300);
    const hash = await hashApiKey(key);
    const stored = await eventually(async () => {
      const entry = await env.AUTH_CACHE.get<{ principal: Principal }>(principalKvKey(hash), "json");
      expect(entry).not.toBeNull();
      return entry!;
    });
    expect(stored.principal).toMatchObject({
      kind: "platform_key",
      customerId: home.customerId,
      dataJurisdiction: "eu",
    });
  });
});

describe("user sessions", () => {
  it("carry the jurisdiction of the member's customer from the password login", async () => {
    const token = await login(eu.user.email, eu.user.password);
    const principal = await verifySessionToken(env.SESSION_SIGNING_KEYS, token);
    expect(principal).toMatchObject({ kind: "user_session", userId: eu.user.id, dataJurisdiction: "eu" });
    // The session works: the quota middleware found its jurisdiction.
    expect((await call("/v1/me", { token })).status).toBe(200);
  });

  it("are exact for every jurisdiction, not derived from the tier", async () => {
    // A gov_federal customer staff placed in `us`: the tier default would have said fedramp.
    const usFederal = await residentCustomer("us", "gov_federal");
    const fedramp = await residentCustomer("fedramp");
    for (const [customer, expected] of [
      [usFederal, "us"],
      [fedramp, "fedramp"],
    ] as const) {
      const token = await login(customer.user.email, customer.user.password);
      expect((await verifySessionToken(env.SESSION_SIGNING_KEYS, token))?.dataJurisdiction).toBe(expected);
    }
  });

  it("issued before tokens carried the jurisdiction fall back to the onboarding default by tier", async () => {
    const [current] = signingKeys(env.SESSION_SIGNING_KEYS);
    const now = Math.floor(Date.now() / 1000);
    const legacy = (tier: string) =>
      new SignJWT({ typ: "key", cid: eu.customerId, scp: ["invoices:read"], tier, mode: "test", rl: 60 })
        .setProtectedHeader({ alg: "HS256", kid: current!.kid, typ: "JWT" })
        .setSubject(crypto.randomUUID())
        .setIssuer("securebase-edge-api")
        .setAudience("securebase-api")
        .setIssuedAt(now)
        .setExpirationTime(now + 60)
        .setJti(crypto.randomUUID())
        .sign(current!.secret);
    const verify = async (tier: string) =>
      (await verifySessionToken(env.SESSION_SIGNING_KEYS, await legacy(tier)))?.dataJurisdiction;
    expect(await verify("gov_federal")).toBe("fedramp");
    expect(await verify("standard")).toBe("us");
  });
});
