// Login throttles that an attacker cannot turn against the account's owner (docs/auth.md,
// "Credentials"): the per-account limit counts failures only, and once it is reached a correct
// password still signs in from a device the user signed in from before; the per-IP limit buckets
// IPv6 clients by /64, so rotating addresses within one network buys nothing.
import { describe, expect, it } from "vitest";
import { ipBucket } from "../../worker/http/client-ip.ts";
import { createUser, randomIp } from "../helpers/identity.ts";
import type { Schemas } from "../helpers/http.ts";
import { call, createTenant } from "../helpers/tenants.ts";

type LoginBody = Schemas["LoginResult"];

const attempt = (email: string, password: string, options: { ip?: string; deviceToken?: string } = {}) =>
  call("/v1/auth/login", {
    method: "POST",
    headers: { "content-type": "application/json", "cf-connecting-ip": options.ip ?? randomIp() },
    body: JSON.stringify({
      email,
      password,
      ...(options.deviceToken ? { device_token: options.deviceToken } : {}),
    }),
  });

/**
 * These send 20–100 logins one after another, each a full PBKDF2 verification (a decoy one for an
 * unknown address). On a loaded 2-core machine that can take longer than the default 20 s: the
 * bound here only catches a hang; the assertions are about which attempts are refused.
 */
const SEQUENTIAL_LOGINS = { timeout: 180_000 };

describe("per-account login throttle", () => {
  it(
    "does not let an attacker's 20 wrong passwords stop the user signing in from a known device",
    SEQUENTIAL_LOGINS,
    async () => {
      const { customerId } = await createTenant();
      const user = await createUser(customerId);
      const first = await attempt(user.email, user.password);
      expect(first.status).toBe(200);
      const { device_token } = await first.json<LoginBody>();
      expect(device_token).toEqual(expect.any(String));

      const statuses: number[] = [];
      for (let i = 0; i < 20; i++) statuses.push((await attempt(user.email, `wrong-guess-number-${i}`)).status);
      expect(statuses.slice(0, 10)).toEqual(Array(10).fill(401));
      expect(statuses.slice(10)).toEqual(Array(10).fill(429));

      // The bound: without the device, even the right password waits for the window.
      expect((await attempt(user.email, user.password)).status).toBe(429);
      const again = await attempt(user.email, user.password, { deviceToken: device_token });
      expect(again.status).toBe(200);
      const me = await call("/v1/me", { token: (await again.json<LoginBody>()).session_token });
      expect((await me.json<{ user: { id: string } }>()).user.id).toBe(user.id);
    },
  );

  it("counts failures only: the owner's correct logins never lock the account", SEQUENTIAL_LOGINS, async () => {
    const { customerId } = await createTenant();
    const user = await createUser(customerId);
    for (let i = 0; i < 12; i++) expect((await attempt(user.email, user.password)).status).toBe(200);
  });

  it(
    "does not open a locked account to another user's device, nor to a wrong password on the known device",
    SEQUENTIAL_LOGINS,
    async () => {
      const { customerId } = await createTenant();
      const [victim, other] = await Promise.all([createUser(customerId), createUser(customerId)]);
      const victimDevice = (await (await attempt(victim.email, victim.password)).json<LoginBody>()).device_token;
      const otherDevice = (await (await attempt(other.email, other.password)).json<LoginBody>()).device_token;
      for (let i = 0; i < 10; i++) expect((await attempt(victim.email, "wrong-guess-again")).status).toBe(401);

      expect((await attempt(victim.email, victim.password, { deviceToken: otherDevice })).status).toBe(429);
      expect((await attempt(victim.email, victim.password, { deviceToken: "not.a.token" })).status).toBe(429);
      // On the known device, guesses are still bounded: 10 more failures, then 429 there too.
      for (let i = 0; i < 10; i++) {
        expect((await attempt(victim.email, "wrong-from-device", { deviceToken: victimDevice })).status).toBe(401);
      }
      expect((await attempt(victim.email, victim.password, { deviceToken: victimDevice })).status).toBe(429);
    },
  );

  it("does not accept a device token as a credential", async () => {
    const { customerId } = await createTenant();
    const user = await createUser(customerId);
    const { device_token } = await (await attempt(user.email, user.password)).json<LoginBody>();
    expect((await call("/v1/me", { token: device_token })).status).toBe(401);
  });
});

describe("per-IP login throttle", () => {
  it("puts IPv6 addresses of one /64 in one bucket, and IPv4 addresses in their own", () => {
    expect(ipBucket("2001:db8:1:2::1")).toBe(ipBucket("2001:0db8:0001:0002:ffff:eeee:dddd:cccc"));
    expect(ipBucket("2001:db8:1:2::1")).not.toBe(ipBucket("2001:db8:1:3::1"));
    expect(ipBucket("::ffff:198.51.100.7")).toBe("198.51.100.7");
    expect(ipBucket("198.51.100.7")).not.toBe(ipBucket("198.51.100.8"));
  });

  it(
    "refuses the 101st attempt from one /64 however its addresses rotate, and not another network",
    SEQUENTIAL_LOGINS,
    async () => {
      const network = Math.floor(Math.random() * 0xfffe);
      const prefix = `2001:db8:${network.toString(16)}:1`;
      const otherNetwork = `2001:db8:${(network + 1).toString(16)}:1`;
      const target = `locked-${Date.now()}-${Math.random().toString(36).slice(2)}@example.com`;
      for (let i = 1; i <= 100; i++) await attempt(target, "guess", { ip: `${prefix}::${i.toString(16)}` });
      const { customerId } = await createTenant();
      const user = await createUser(customerId);
      expect((await attempt(user.email, user.password, { ip: `${prefix}:aaaa:bbbb:cccc:dddd` })).status).toBe(429);
      expect((await attempt(user.email, user.password, { ip: `${otherNetwork}::1` })).status).toBe(200);
    },
  );
});
