// db/migrations/0090_key_chain_bound.sql on a database that already holds keys: origin_user_id is
// backfilled along each created_by chain, across tenants (RLS binds the migrating role too), and a
// chain that starts at the system keeps no origin.
import { cp, mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { migrate, migrationsDir } from "../../db/migrate.ts";
import {
  createOwnedDatabase,
  localCredentials,
  startLocalPostgres,
  withUser,
  type LocalPostgres,
} from "../../dev/postgres.ts";
import { freePort } from "../helpers/free-port.ts";

const DATABASE = "securebase_key_chain";
let postgres: LocalPostgres;
let dataDir: string;
let before0090: string;

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), "securebase-backfill-pg-"));
  before0090 = await mkdtemp(join(tmpdir(), "securebase-migrations-"));
  for (const file of await readdir(migrationsDir)) {
    if (file.endsWith(".sql") && file < "0090") await cp(join(migrationsDir, file), join(before0090, file));
  }
  postgres = await startLocalPostgres({ dataDir, port: await freePort(), persistent: false });
});

afterAll(async () => {
  await postgres?.stop();
  await rm(dataDir, { recursive: true, force: true });
  await rm(before0090, { recursive: true, force: true });
});

describe("0090 backfill", () => {
  it("gives every key of a user's chain that user as origin, in every tenant", async () => {
    await createOwnedDatabase(postgres.adminUrl(), DATABASE);
    const { user, password } = localCredentials.owner;
    const ownerUrl = withUser(postgres.adminUrl(DATABASE), user, password);
    await migrate(ownerUrl, before0090);

    // Seeded as the superuser (not bound by RLS): two tenants, chains of keys, a system chain.
    const admin = new pg.Client({ connectionString: postgres.adminUrl(DATABASE) });
    await admin.connect();
    const ids: Record<string, string> = {};
    const key = async (name: string, customer: string, type: string | null, by: string | null) => {
      const { rows } = await admin.query<{ id: string }>(
        `INSERT INTO api_keys (customer_id, name, mode, prefix, key_hash, created_by_type, created_by_id)
         VALUES ($1, $2, 'test', 'sb_test_xxxxxx', gen_random_bytes(32), $3, $4) RETURNING id`,
        [customer, name, type, by],
      );
      ids[name] = rows[0]!.id;
    };
    try {
      for (const tenant of ["a", "b"]) {
        const { rows } = await admin.query<{ id: string }>(
          "INSERT INTO customers (name, email, tier) VALUES ($1, $2, 'standard') RETURNING id",
          [`Tenant ${tenant}`, `ops-${tenant}@example.com`],
        );
        const customer = rows[0]!.id;
        const { rows: users } = await admin.query<{ id: string }>(
          `INSERT INTO users (customer_id, email, name, role, status, password_hash)
           VALUES ($1, $2, 'Dev', 'developer', 'active', 'x') RETURNING id`,
          [customer, `dev-${tenant}@example.com`],
        );
        ids[`user-${tenant}`] = users[0]!.id;
        await key(`${tenant}1`, customer, "user", ids[`user-${tenant}`]!);
        await key(`${tenant}2`, customer, "api_key", ids[`${tenant}1`]!);
        await key(`${tenant}3`, customer, "api_key", ids[`${tenant}2`]!);
        await key(`${tenant}-system`, customer, null, null);
        await key(`${tenant}-system-child`, customer, "api_key", ids[`${tenant}-system`]!);
      }

      const result = await migrate(ownerUrl);
      // 0090 is the first migration this run applies (later ones may follow it).
      expect(result.applied[0]).toBe("0090_key_chain_bound.sql");

      const { rows } = await admin.query<{ name: string; origin_user_id: string | null }>(
        "SELECT name, origin_user_id FROM api_keys",
      );
      const origins = Object.fromEntries(rows.map((r) => [r.name, r.origin_user_id]));
      expect(origins).toEqual({
        a1: ids["user-a"],
        a2: ids["user-a"],
        a3: ids["user-a"],
        "a-system": null,
        "a-system-child": null,
        b1: ids["user-b"],
        b2: ids["user-b"],
        b3: ids["user-b"],
        "b-system": null,
        "b-system-child": null,
      });
      // RLS is forced again on the table once the backfill is done.
      const { rows: table } = await admin.query<{ forced: boolean }>(
        "SELECT relforcerowsecurity AS forced FROM pg_class WHERE oid = 'api_keys'::regclass",
      );
      expect(table[0]!.forced).toBe(true);
    } finally {
      await admin.end();
    }
  });
});
