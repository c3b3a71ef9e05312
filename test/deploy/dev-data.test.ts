// `npm run dev`'s database across runs (dev/dev-database.ts, dev/dev-instance.ts), as root too:
// the data directory is chosen once (initdb making it 0700 for `postgres` must not send the next
// run to a new, empty cluster), a running cluster is never started twice, and the demo logins
// on file always log in. Each case uses a checkout directory of its own, never the real .data.
import { chmod, mkdir, mkdtemp, readFile, rm, unlink, writeFile } from "node:fs/promises";
import { join } from "node:path";
import pg from "pg";
import { afterAll, describe, expect, it } from "vitest";
import { DevStartError, startDevDatabase, type DevDatabase } from "../../dev/dev-database.ts";
import { DATA_DIR_RECORD, workerStateFor } from "../../dev/dev-instance.ts";
import type { DemoUser } from "../../dev/seed/demo.ts";
import { verifyPassword } from "../../worker/auth/passwords.ts";
import { freePort } from "../helpers/free-port.ts";

const cleanup: string[] = [];
afterAll(async () => {
  for (const dir of cleanup) await rm(dir, { recursive: true, force: true });
});

async function checkout(mode: number): Promise<string> {
  const dir = await mkdtemp("/tmp/securebase-checkout-");
  await chmod(dir, mode);
  cleanup.push(dir);
  return join(dir, ".data");
}

async function start(dataRoot: string): Promise<DevDatabase> {
  const db = await startDevDatabase({ dataRoot, pgPort: await freePort(), proxyPort: await freePort() });
  if (db.dataDir && !db.dataDir.startsWith(dataRoot)) cleanup.push(db.dataDir);
  return db;
}

async function query<T extends pg.QueryResultRow>(db: DevDatabase, sql: string, params: unknown[] = []) {
  const client = new pg.Client({ connectionString: db.stack.adminUrl });
  await client.connect();
  try {
    return (await client.query<T>(sql, params)).rows;
  } finally {
    await client.end();
  }
}

/** Logs in the way POST /v1/auth/login checks a password: each user's stored hash must verify. */
async function expectLogins(db: DevDatabase, users: DemoUser[]) {
  expect(users.length).toBeGreaterThan(1);
  for (const user of users) {
    const [row] = await query<{ password_hash: string }>(db, "SELECT password_hash FROM users WHERE email = $1", [
      user.email,
    ]);
    expect(await verifyPassword(user.password, row?.password_hash ?? null), user.email).toBe(true);
  }
}

const onFile = async (dataRoot: string): Promise<DemoUser[]> =>
  JSON.parse(await readFile(join(dataRoot, "demo-users.json"), "utf8"));

describe.each([
  ["a checkout others can enter", 0o755],
  ["a checkout only its owner can enter", 0o700],
])("npm run dev's database in %s", (_label, mode) => {
  it("is the same database on the next run, and the printed logins log in", async () => {
    const dataRoot = await checkout(mode);
    const first = await start(dataRoot);
    let firstDir: string | undefined;
    try {
      firstDir = first.dataDir;
      await query(first, "CREATE TABLE IF NOT EXISTS made_in_first_run (id int)");
      await expectLogins(first, first.demoUsers);
      // A second start while the first runs refuses, naming the running Postgres.
      const refused = await start(dataRoot).then(
        async (db) => {
          await db.stack.stop(); // started a second cluster: stop it, the assertion below fails
          return db;
        },
        (error: unknown) => error,
      );
      expect(refused).toBeInstanceOf(DevStartError);
      expect((refused as Error).message).toMatch(/already running: pid \d+, port \d+/);
    } finally {
      await first.stack.stop();
    }
    expect((await readFile(join(dataRoot, DATA_DIR_RECORD), "utf8")).trim()).toBe(firstDir);

    const second = await start(dataRoot);
    try {
      expect(second.dataDir).toBe(firstDir);
      expect(second.identity).toBe(first.identity);
      expect(await query(second, "SELECT to_regclass('made_in_first_run') IS NOT NULL AS kept")).toEqual([
        { kept: true },
      ]);
      await expectLogins(second, second.demoUsers);
      expect(second.demoUsers).toEqual(await onFile(dataRoot));
      expect(second.demoUsers.map((u) => u.password)).toEqual(first.demoUsers.map((u) => u.password));
    } finally {
      await second.stack.stop();
    }

    // Only the logins file deleted: new passwords, and they work.
    await unlink(join(dataRoot, "demo-users.json"));
    const third = await start(dataRoot);
    try {
      expect(third.identity).toBe(first.identity);
      await expectLogins(third, await onFile(dataRoot));
      expect(third.demoUsers.map((u) => u.password)).not.toEqual(first.demoUsers.map((u) => u.password));
    } finally {
      await third.stack.stop();
    }

    // A logins file from another run (passwords this database never had): the file still logs in.
    const foreign = (await onFile(dataRoot)).map((u) => ({ ...u, password: `other-run-${u.email}` }));
    await writeFile(join(dataRoot, "demo-users.json"), JSON.stringify(foreign));
    const fourth = await start(dataRoot);
    try {
      expect(fourth.demoUsers).toEqual(foreign);
      await expectLogins(fourth, foreign);
    } finally {
      await fourth.stack.stop();
    }
  });
});

describe("local Worker state (wrangler --persist-to)", () => {
  it("is kept for the same database and cleared for another", async () => {
    const dataRoot = await checkout(0o755);
    const first = workerStateFor(dataRoot, "cluster-a-16384");
    await mkdir(first.dir, { recursive: true });
    await writeFile(join(first.dir, "cached-principal"), "x");
    expect(workerStateFor(dataRoot, "cluster-a-16384").reset).toBe(false);
    expect(await readFile(join(first.dir, "cached-principal"), "utf8")).toBe("x");
    const other = workerStateFor(dataRoot, "cluster-b-16384");
    expect(other.reset).toBe(true);
    await expect(readFile(join(other.dir, "cached-principal"), "utf8")).rejects.toThrow(/ENOENT/);
  });
});
