// `npm run db:migrate` as production runs it (scripts/migrate.ts in a child process), against a
// fresh embedded Postgres: first deploy through the master user, role passwords, the context key
// the Worker signs with (proved by a signed context that Postgres accepts), re-runs, rotation.
import { spawnSync } from "node:child_process";
import { createHmac, randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startLocalPostgres, withUser, type LocalPostgres } from "../../dev/postgres.ts";
import { verifyPassword } from "../../worker/auth/passwords.ts";
import { repoRoot } from "./wrangler.ts";
import { freePort } from "../helpers/free-port.ts";

let postgres: LocalPostgres;
let dataDir: string;
let ownerUrl: string;
const passwords = {
  SB_API_PASSWORD: randomBytes(24).toString("base64url"),
  SB_JOBS_PASSWORD: randomBytes(24).toString("base64url"),
  SB_ANALYTICS_PASSWORD: randomBytes(24).toString("base64url"),
};
const firstKey = `ctx2026a:${randomBytes(32).toString("base64url")}`;
const secondKey = `ctx2026b:${randomBytes(32).toString("base64url")}`;

function dbMigrate(env: Record<string, string>, script = "scripts/migrate.ts") {
  // Run from a scratch directory so a developer's own .env (dev/env-file.ts) cannot leak in.
  const result = spawnSync(process.execPath, [join(repoRoot, script)], {
    cwd: tmpdir(),
    encoding: "utf8",
    env: { PATH: process.env.PATH ?? "", ...env },
    timeout: 120_000,
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

async function query<T extends pg.QueryResultRow>(url: string, sql: string, params: unknown[] = []): Promise<T[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<T>(sql, params)).rows;
  } finally {
    await client.end();
  }
}

/** A tenant context signed the way the Worker signs it (worker/platform/tenant-context.ts). */
function signedContext(contextKey: string, customerId: string) {
  const separator = contextKey.indexOf(":");
  const kid = contextKey.slice(0, separator);
  const context = JSON.stringify({
    kid,
    cid: customerId,
    uid: null,
    role: "admin",
    sa: false,
    exp: Math.floor(Date.now() / 1000) + 60,
  });
  const signature = createHmac("sha256", Buffer.from(contextKey.slice(separator + 1), "base64url"))
    .update(context)
    .digest("hex");
  return { context, signature };
}

async function customerIdAs(url: string, contextKey: string, customerId: string): Promise<string> {
  const { context, signature } = signedContext(contextKey, customerId);
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query("BEGIN");
    await client.query("SELECT set_config('app.context', $1, true), set_config('app.context_sig', $2, true)", [
      context,
      signature,
    ]);
    const { rows } = await client.query<{ id: string }>("SELECT app.current_customer_id()::text AS id");
    await client.query("COMMIT");
    return rows[0]!.id;
  } finally {
    await client.end();
  }
}

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), "securebase-deploy-pg-"));
  postgres = await startLocalPostgres({ dataDir, port: await freePort(), persistent: false });
  ownerUrl = withUser(postgres.adminUrl("securebase_deploy"), "sb_owner", randomBytes(18).toString("base64url"));
});

afterAll(async () => {
  await postgres?.stop();
  await rm(dataDir, { recursive: true, force: true });
});

describe("npm run db:migrate (production path)", () => {
  it("first deploy: creates the owner and its database, migrates, sets role passwords, installs the context key", async () => {
    const run = dbMigrate({
      MASTER_DATABASE_URL: postgres.adminUrl(),
      DATABASE_URL: ownerUrl,
      DB_CONTEXT_KEY: firstKey,
      ...passwords,
    });
    expect(run.stderr).toBe("");
    expect(run.status).toBe(0);
    expect(run.stdout).toContain("owner: role sb_owner created, database securebase_deploy created");
    expect(run.stdout).toMatch(/migrations: \d+ applied \(0001_foundation\.sql/);
    expect(run.stdout).toContain("passwords: set for sb_api, sb_jobs, sb_analytics");
    expect(run.stdout).toContain("context key: ctx2026a active");

    const [database] = await query<{ owner: string }>(
      postgres.adminUrl(),
      "SELECT pg_get_userbyid(datdba) AS owner FROM pg_database WHERE datname = 'securebase_deploy'",
    );
    expect(database?.owner).toBe("sb_owner");
    // The Worker's role logs in with the password from "Secrets Manager", and Postgres accepts a
    // context signed with the installed key: the same check every request passes.
    const apiUrl = withUser(ownerUrl, "sb_api", passwords.SB_API_PASSWORD);
    const customerId = "0197a5c2-3e4f-7a10-9b2c-5d6e7f809a1b";
    expect(await customerIdAs(apiUrl, firstKey, customerId)).toBe(customerId);
    for (const [role, password] of [
      ["sb_jobs", passwords.SB_JOBS_PASSWORD],
      ["sb_analytics", passwords.SB_ANALYTICS_PASSWORD],
    ] as const) {
      expect(await query(withUser(ownerUrl, role, password), "SELECT current_user")).toEqual([{ current_user: role }]);
    }
  });

  it("a re-run changes nothing and applies no migration", () => {
    const run = dbMigrate({
      MASTER_DATABASE_URL: postgres.adminUrl(),
      DATABASE_URL: ownerUrl,
      DB_CONTEXT_KEY: firstKey,
      ...passwords,
    });
    expect(run.status).toBe(0);
    expect(run.stdout).toContain("owner: role sb_owner password set, database securebase_deploy exists");
    expect(run.stdout).toMatch(/migrations: 0 applied, \d+ already applied/);
  });

  it("rotates the context key without downtime: both verify until the old one is retired", async () => {
    const apiUrl = withUser(ownerUrl, "sb_api", passwords.SB_API_PASSWORD);
    const customerId = "0197a5c2-3e4f-7a10-9b2c-5d6e7f809a1c";
    const install = dbMigrate({ DATABASE_URL: ownerUrl, DB_CONTEXT_KEY: secondKey });
    expect(install.status).toBe(0);
    expect(await customerIdAs(apiUrl, firstKey, customerId)).toBe(customerId); // Workers not yet switched
    expect(await customerIdAs(apiUrl, secondKey, customerId)).toBe(customerId); // switched Workers

    const retire = dbMigrate({ DATABASE_URL: ownerUrl, DB_CONTEXT_KEY: secondKey, DB_CONTEXT_KEY_RETIRE: "ctx2026a" });
    expect(retire.stdout).toContain("context keys retired: ctx2026a");
    await expect(customerIdAs(apiUrl, firstKey, customerId)).rejects.toMatchObject({ code: "28000" });
    expect(await customerIdAs(apiUrl, secondKey, customerId)).toBe(customerId);
  });

  it("hands a database the master created (as Aurora's database_name would) to the owner", async () => {
    await query(postgres.adminUrl(), "CREATE DATABASE securebase_handover");
    const handoverOwnerUrl = withUser(postgres.adminUrl("securebase_handover"), "sb_owner", new URL(ownerUrl).password);
    const run = dbMigrate({ MASTER_DATABASE_URL: postgres.adminUrl(), DATABASE_URL: handoverOwnerUrl });
    expect(run.stderr).toBe("");
    expect(run.stdout).toContain("database securebase_handover handed to sb_owner");
    const [database] = await query<{ owner: string }>(
      postgres.adminUrl(),
      "SELECT pg_get_userbyid(datdba) AS owner FROM pg_database WHERE datname = 'securebase_handover'",
    );
    expect(database?.owner).toBe("sb_owner");
  });

  it("npm run db:create-staff makes the first super_admin login once, with a password shown once", async () => {
    const email = `ops-${randomBytes(4).toString("hex")}@securebase.example`;
    const run = dbMigrate(
      { DATABASE_URL: ownerUrl, DB_CONTEXT_KEY: secondKey, STAFF_EMAIL: email.toUpperCase() },
      "scripts/create-staff.ts",
    );
    expect(run.stderr).toBe("");
    expect(run.status).toBe(0);
    const password = /password \(shown once\): (\S+)/.exec(run.stdout)?.[1];
    expect(password).toMatch(/^[A-Za-z0-9_-]{24}$/);
    const [user] = await query<{ platform_role: string; role: string; password_hash: string }>(
      postgres.adminUrl("securebase_deploy"),
      "SELECT platform_role, role, password_hash FROM users WHERE email = $1",
      [email],
    );
    expect(user).toMatchObject({ platform_role: "super_admin", role: "admin" });
    expect(await verifyPassword(password!, user!.password_hash)).toBe(true);

    const again = dbMigrate(
      { DATABASE_URL: ownerUrl, DB_CONTEXT_KEY: secondKey, STAFF_EMAIL: email },
      "scripts/create-staff.ts",
    );
    expect(again.status).toBe(1);
    expect(again.stderr).toContain("already has a login");
    expect(
      dbMigrate(
        { DATABASE_URL: ownerUrl, DB_CONTEXT_KEY: secondKey, STAFF_EMAIL: "not-an-email" },
        "scripts/create-staff.ts",
      ).status,
    ).toBe(2);
  });

  it("refuses bad input before connecting", () => {
    expect(dbMigrate({}).status).toBe(2);
    const unreachable = "postgres://sb_owner:x@127.0.0.1:1/none";
    const shortKey = dbMigrate({ DATABASE_URL: unreachable, DB_CONTEXT_KEY: "k1:c2hvcnQ" });
    expect(shortKey.status).toBe(2);
    expect(shortKey.stderr).toContain("at least 32 bytes");
    const shortPassword = dbMigrate({ DATABASE_URL: unreachable, SB_API_PASSWORD: "short" });
    expect(shortPassword.stderr).toContain("SB_API_PASSWORD must be at least 16 characters");
    const retireActive = dbMigrate({
      DATABASE_URL: unreachable,
      DB_CONTEXT_KEY: secondKey,
      DB_CONTEXT_KEY_RETIRE: "ctx2026b",
    });
    expect(retireActive.status).toBe(2);
  });
});
