// Demo platform for `npm run dev`: two customers on different tiers and an API key each (their
// usage and invoices come from seed-billing.ts, through the real ingest and billing run).
// Idempotent: fixed customer ids; the demo keys are kept in a local file (the database only has
// their hashes), and a key is re-issued if it is missing.
import { existsSync } from "node:fs";
import { readFile, writeFile } from "node:fs/promises";
import { hashApiKey } from "../../worker/auth/api-key.ts";
import { asCustomer, createApiKey, createCustomer, type FixtureClient } from "../fixtures.ts";
import type { Tier } from "../../db/schema.ts";

/** Closed months of usage the demo bills (plus the current month so far, for the preview). */
export const DEMO_MONTHS = 3;

/** Monthly [log storage GB-month, NAT GB] per demo customer, oldest closed month first. */
export const demoCustomers: { id: string; name: string; email: string; tier: Tier; usage: [number, number][] }[] = [
  {
    id: "0192a000-0000-7000-8000-00000000a001",
    name: "Acme Health",
    email: "billing@acme-health.example",
    tier: "healthcare",
    usage: [
      [420, 3_100],
      [455, 3_350],
      [480, 3_900],
      [495, 4_100],
    ],
  },
  {
    id: "0192a000-0000-7000-8000-00000000b002",
    name: "Globex Financial",
    email: "ops@globex.example",
    tier: "standard",
    usage: [
      [90, 800],
      [100, 1_000],
      [120, 1_250],
      [130, 1_400],
    ],
  },
];

export interface DemoKey {
  customerId: string;
  name: string;
  key: string;
}

export function monthStart(offset: number, now = new Date()): string {
  const d = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + offset, 1));
  return d.toISOString().slice(0, 10);
}

export async function seedDemo(client: FixtureClient, keysFile: string): Promise<DemoKey[]> {
  const saved: DemoKey[] = existsSync(keysFile) ? JSON.parse(await readFile(keysFile, "utf8")) : [];
  const keys: DemoKey[] = [];
  for (const customer of demoCustomers) {
    await createCustomer(client, customer);
    // Customers since before the months that seedDemoBilling bills (a run bills only customers
    // that existed before the month ended).
    await asCustomer(client, customer.id, () =>
      client.query("UPDATE customers SET created_at = LEAST(created_at, $2::date) WHERE id = $1", [
        customer.id,
        monthStart(-DEMO_MONTHS),
      ]),
    );
    const previous = saved.find((k) => k.customerId === customer.id);
    if (previous && (await keyIsActive(client, customer.id, previous.key))) {
      keys.push(previous);
    } else {
      const { key } = await createApiKey(client, customer.id, { name: "Demo key", mode: "test" });
      keys.push({ customerId: customer.id, name: customer.name, key });
    }
  }
  await writeFile(keysFile, JSON.stringify(keys, null, 2) + "\n", { mode: 0o600 });
  return keys;
}

async function keyIsActive(client: FixtureClient, customerId: string, key: string): Promise<boolean> {
  const hash = await hashApiKey(key);
  const { rows } = await asCustomer(client, customerId, () =>
    client.query("SELECT 1 FROM api_keys WHERE key_hash = decode($1, 'hex') AND revoked_at IS NULL", [hash]),
  );
  return rows.length > 0;
}

export interface DemoUser {
  email: string;
  password: string;
  role: string;
  customer: string;
  superAdmin: boolean;
  /** Base32 TOTP secret of users whose customer requires MFA (healthcare, gov_federal): add it to an app. */
  totp_secret?: string;
}

const PLATFORM_CUSTOMER = {
  id: "0192a000-0000-7000-8000-0000000005b0",
  name: "SecureBase Staff",
  email: "platform@securebase.example",
  tier: "gov_federal" as Tier,
};

/**
 * Portal logins for the demo: an admin per demo customer, and one SecureBase staff member
 * (super_admin) in the platform's own customer. Passwords live in a local file; a user whose
 * password is not on file gets a fresh one, and a stored hash that does not match the file is replaced.
 */
export async function seedDemoUsers(
  client: FixtureClient,
  usersFile: string,
  dataEncryptionKey?: string,
): Promise<DemoUser[]> {
  const { hashPassword, verifyPassword } = await import("../../worker/auth/passwords.ts");
  const saved: DemoUser[] = existsSync(usersFile) ? JSON.parse(await readFile(usersFile, "utf8")) : [];
  await createCustomer(client, PLATFORM_CUSTOMER);
  const wanted = [
    ...demoCustomers.map((c) => ({
      customer: c,
      email: `admin@${c.email.split("@")[1]}`,
      role: "admin",
      superAdmin: false,
    })),
    { customer: PLATFORM_CUSTOMER, email: "staff@securebase.example", role: "admin", superAdmin: true },
  ];
  const users: DemoUser[] = [];
  for (const want of wanted) {
    const password = saved.find((u) => u.email === want.email)?.password ?? `demo-${crypto.randomUUID().slice(0, 18)}`;
    await asCustomer(client, want.customer.id, async () => {
      const { rows } = await client.query("SELECT password_hash FROM users WHERE email = $1", [want.email]);
      const stored = (rows[0]?.password_hash as string | null | undefined) ?? null;
      // The file and the database may come from different runs (a file deleted, a database
      // replaced): the login printed must be the one the database accepts.
      if (stored !== null && (await verifyPassword(password, stored))) return;
      await client.query(
        `INSERT INTO users (customer_id, email, name, role, platform_role, password_hash)
         VALUES ($1, $2, $3, $4, $5, $6)
         ON CONFLICT (email) DO UPDATE SET password_hash = excluded.password_hash`,
        [
          want.customer.id,
          want.email,
          want.superAdmin ? "Platform Staff" : "Demo Admin",
          want.role,
          want.superAdmin ? "super_admin" : null,
          await hashPassword(password),
        ],
      );
    });
    // Customers that require MFA by default (docs/auth.md, "Security policy"): their demo users
    // are enrolled with the secret on file (or a new one), so they can sign in at once.
    const needsMfa = want.customer.tier === "healthcare" || want.customer.tier === "gov_federal";
    const totpSecret =
      needsMfa && dataEncryptionKey ? await enrolDemoTotp(client, want, saved, dataEncryptionKey) : undefined;
    users.push({
      email: want.email,
      password,
      role: want.role,
      customer: want.customer.name,
      superAdmin: want.superAdmin,
      ...(totpSecret ? { totp_secret: totpSecret } : {}),
    });
  }
  await writeFile(usersFile, JSON.stringify(users, null, 2) + "\n", { mode: 0o600 });
  return users;
}

/** (Re)writes the demo user's confirmed TOTP authenticator with the secret on file; returns it. */
async function enrolDemoTotp(
  client: FixtureClient,
  want: { customer: { id: string }; email: string },
  saved: DemoUser[],
  dataEncryptionKey: string,
): Promise<string> {
  const { Secret } = await import("otpauth");
  const { seal } = await import("../../worker/platform/encryption.ts");
  const secret = saved.find((u) => u.email === want.email)?.totp_secret ?? new Secret({ size: 20 }).base32;
  await asCustomer(client, want.customer.id, async () => {
    const { rows } = await client.query("SELECT id FROM users WHERE email = $1", [want.email]);
    const userId = rows[0]!.id as string;
    const id = (await client.query("SELECT app.uuid_v7() AS id")).rows[0]!.id as string;
    const place = { table: "user_totp", column: "secret_sealed", customerId: want.customer.id, rowId: id };
    await client.query("DELETE FROM user_totp WHERE user_id = $1", [userId]);
    await client.query(
      `INSERT INTO user_totp (id, customer_id, user_id, secret_sealed, confirmed_at) VALUES ($1, $2, $3, $4, now())`,
      [id, want.customer.id, userId, await seal(dataEncryptionKey, secret, place)],
    );
  });
  return secret;
}
