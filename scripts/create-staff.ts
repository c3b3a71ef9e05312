// `npm run db:create-staff`: the first SecureBase staff login (platform super_admin) of a fresh
// deployment — everything else (customers, their admins) is then done through the API.
//   DATABASE_URL    owner connection (as for `npm run db:migrate`)
//   DB_CONTEXT_KEY  the installed context key (the owner is bound by RLS and writes with a context)
//   STAFF_EMAIL     the staff member's login
// Prints a generated password once; refuses an email that already has a login.
import "../dev/env-file.ts";
import { randomBytes } from "node:crypto";
import pg from "pg";
import { asCustomer, createCustomer, fixtureClient } from "../dev/fixtures.ts";
import { parseContextKey } from "../db/provision.ts";
import { hashPassword } from "../worker/auth/passwords.ts";

/** The platform's own customer, home of the staff accounts (same id as the local demo's). */
export const PLATFORM_CUSTOMER_ID = "0192a000-0000-7000-8000-0000000005b0";

const { DATABASE_URL: url, DB_CONTEXT_KEY: contextKey, STAFF_EMAIL: rawEmail } = process.env;
const email = rawEmail?.trim().toLowerCase() ?? "";
if (!url || !contextKey || !/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(email)) {
  console.error("Set DATABASE_URL (owner), DB_CONTEXT_KEY and STAFF_EMAIL (a valid address)");
  process.exit(2);
}
try {
  parseContextKey(contextKey);
} catch (error) {
  console.error((error as Error).message);
  process.exit(2);
}

const password = randomBytes(18).toString("base64url");
const client = new pg.Client({ connectionString: url });
await client.connect();
try {
  const db = fixtureClient(client, contextKey);
  await createCustomer(db, {
    id: PLATFORM_CUSTOMER_ID,
    name: "SecureBase Staff",
    email: "platform@securebase.io",
    tier: "gov_federal",
  });
  const passwordHash = await hashPassword(password);
  await asCustomer(db, PLATFORM_CUSTOMER_ID, () =>
    client.query(
      `INSERT INTO users (customer_id, email, name, role, platform_role, password_hash)
       VALUES ($1, $2, 'Platform Staff', 'admin', 'super_admin', $3)`,
      [PLATFORM_CUSTOMER_ID, email, passwordHash],
    ),
  );
  console.log(`staff login created: ${email}\npassword (shown once): ${password}`);
} catch (error) {
  // Login is by email alone, so an address belongs to one user platform-wide (unique index).
  console.error(
    (error as { code?: string }).code === "23505"
      ? `${email} already has a login`
      : `db:create-staff failed: ${(error as Error).message}`,
  );
  process.exitCode = 1;
} finally {
  await client.end();
}
