// Portal users and platform staff for tests: create them as the owner (with the customer's
// signed context), then log in through the real API.
import { asCustomer, createCustomer } from "../../dev/fixtures.ts";
import type { Role } from "../../db/schema.ts";
import { hashPassword } from "../../worker/auth/passwords.ts";
import { asOwner } from "./database.ts";
import { call } from "./tenants.ts";

export interface TestUser {
  id: string;
  customerId: string;
  email: string;
  password: string;
}

let counter = 0;
const unique = () => `${Date.now().toString(36)}${(counter++).toString(36)}${Math.random().toString(36).slice(2, 6)}`;
/** A fresh address per login, so the per-IP login throttle never trips across the suite. */
export const randomIp = () => `198.18.${Math.floor(Math.random() * 256)}.${Math.floor(Math.random() * 254) + 1}`;

export async function createUser(
  customerId: string,
  options: {
    role?: Role;
    email?: string;
    password?: string;
    superAdmin?: boolean;
    status?: "active" | "deactivated";
  } = {},
): Promise<TestUser> {
  const email = options.email ?? `user-${unique()}@example.com`;
  const password = options.password ?? `pw-${unique()}-long-enough`;
  const passwordHash = await hashPassword(password);
  const id = await asOwner((client) =>
    asCustomer(client, customerId, async () => {
      const { rows } = await client.query(
        `INSERT INTO users (customer_id, email, name, role, platform_role, status, password_hash)
         VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id`,
        [
          customerId,
          email,
          `User ${email}`,
          options.role ?? "admin",
          options.superAdmin ? "super_admin" : null,
          options.status ?? "active",
          passwordHash,
        ],
      );
      return rows[0]!.id as string;
    }),
  );
  return { id, customerId, email, password };
}

export async function login(email: string, password: string): Promise<string> {
  const response = await call("/v1/auth/login", {
    method: "POST",
    headers: { "content-type": "application/json", "cf-connecting-ip": randomIp() },
    body: JSON.stringify({ email, password }),
  });
  if (response.status !== 200) throw new Error(`login failed: ${response.status} ${await response.text()}`);
  return (await response.json<{ session_token: string }>()).session_token;
}

/** A user with `role` in the customer, logged in. */
export async function userToken(customerId: string, role: Role = "admin"): Promise<{ user: TestUser; token: string }> {
  const user = await createUser(customerId, { role });
  return { user, token: await login(user.email, user.password) };
}

/** A SecureBase staff member (super_admin) in the platform's own customer, logged in. */
export async function staffToken(): Promise<{ user: TestUser; token: string }> {
  const platform = await asOwner((client) =>
    createCustomer(client, {
      name: "SecureBase Staff",
      email: `staff-${unique()}@securebase.example`,
      tier: "gov_federal",
      // gov_federal requires MFA by default; staff in tests sign in with a password alone.
      mfaRequired: false,
    }),
  );
  const user = await createUser(platform, { role: "admin", superAdmin: true });
  return { user, token: await login(user.email, user.password) };
}
