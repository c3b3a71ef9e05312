// What a deployed database needs besides migrations, for `npm run db:migrate` in production:
// the owner role and its database (once, as the RDS master user), the login passwords of the
// roles the migrations create (values from Secrets Manager), and the tenant-context key(s)
// (DB_CONTEXT_KEY) that app.context() verifies, including retiring old ones after a rotation.
// Every step is idempotent: the script can be re-run after a failure or on every deploy.
import pg from "pg";

function quoteIdent(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}
function quoteLiteral(value: string): string {
  return `'${value.replaceAll("'", "''")}'`;
}

async function withClient<T>(url: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

export interface OwnerTarget {
  user: string;
  password: string;
  database: string;
}

/** The owner role, its password and the database, read from the owner's connection URL. */
export function ownerFromUrl(ownerUrl: string): OwnerTarget {
  const url = new URL(ownerUrl);
  return {
    user: decodeURIComponent(url.username),
    password: decodeURIComponent(url.password),
    database: decodeURIComponent(url.pathname.slice(1)),
  };
}

/**
 * As the RDS master user (a member of rds_superuser, not a superuser): create or re-password the
 * owner role (LOGIN CREATEROLE: the migrations create the API roles) and a database it owns
 * (an existing database owned by someone else, e.g. the master, is handed to the owner).
 * CREATE DATABASE … OWNER needs the creator to be able to SET ROLE to the owner; since
 * PostgreSQL 16 a CREATEROLE creator only holds ADMIN on the role, so membership is granted for
 * that one statement and revoked again: the master keeps no lasting rights over the owner.
 */
export async function bootstrapOwner(
  masterUrl: string,
  owner: OwnerTarget,
): Promise<{ createdRole: boolean; createdDatabase: boolean; handedOver: boolean }> {
  return withClient(masterUrl, async (client) => {
    const role = await client.query("SELECT 1 FROM pg_roles WHERE rolname = $1", [owner.user]);
    const createdRole = role.rowCount === 0;
    await client.query(
      `${createdRole ? "CREATE" : "ALTER"} ROLE ${quoteIdent(owner.user)} LOGIN CREATEROLE PASSWORD ${quoteLiteral(owner.password)}`,
    );
    const database = await client.query<{ owner: string }>(
      "SELECT pg_get_userbyid(datdba) AS owner FROM pg_database WHERE datname = $1",
      [owner.database],
    );
    const createdDatabase = database.rowCount === 0;
    const handOver = !createdDatabase && database.rows[0]!.owner !== owner.user;
    if (createdDatabase || handOver) {
      const { rows } = await client.query<{ member: boolean }>(
        "SELECT pg_has_role(current_user, $1, 'SET') AS member",
        [owner.user],
      );
      const grantFor = !rows[0]?.member;
      if (grantFor) await client.query(`GRANT ${quoteIdent(owner.user)} TO CURRENT_USER`);
      try {
        await client.query(
          createdDatabase
            ? `CREATE DATABASE ${quoteIdent(owner.database)} OWNER ${quoteIdent(owner.user)}`
            : `ALTER DATABASE ${quoteIdent(owner.database)} OWNER TO ${quoteIdent(owner.user)}`,
        );
      } finally {
        if (grantFor) await client.query(`REVOKE ${quoteIdent(owner.user)} FROM CURRENT_USER`);
      }
    }
    return { createdRole, createdDatabase, handedOver: handOver };
  });
}

/** As the owner: give the migrations' roles their login passwords (only the ones provided). */
export async function setRolePasswords(ownerUrl: string, passwords: Record<string, string>): Promise<string[]> {
  return withClient(ownerUrl, async (client) => {
    for (const [role, password] of Object.entries(passwords)) {
      await client.query(`ALTER ROLE ${quoteIdent(role)} LOGIN PASSWORD ${quoteLiteral(password)}`);
    }
    return Object.keys(passwords);
  });
}

/** "kid:base64url-secret" with a secret of at least 32 bytes, or an error naming what is wrong. */
export function parseContextKey(value: string): { kid: string; secret: Buffer } {
  const separator = value.indexOf(":");
  const kid = value.slice(0, separator);
  const secret = Buffer.from(value.slice(separator + 1), "base64url");
  if (separator < 1 || !/^[A-Za-z0-9_-]{1,64}$/.test(kid))
    throw new Error("DB_CONTEXT_KEY must look like kid:base64url-secret");
  if (secret.length < 32) throw new Error("DB_CONTEXT_KEY's secret must be at least 32 bytes");
  return { kid, secret };
}

/** As the owner: install (or re-activate) the context key the Worker signs with. */
export async function installWorkerContextKey(ownerUrl: string, contextKey: string): Promise<string> {
  const { kid, secret } = parseContextKey(contextKey);
  await withClient(ownerUrl, (client) =>
    client.query(
      `INSERT INTO app_private.context_keys (kid, secret) VALUES ($1, $2)
       ON CONFLICT (kid) DO UPDATE SET secret = excluded.secret, retired_at = NULL`,
      [kid, secret],
    ),
  );
  return kid;
}

/** As the owner: retire context keys (after a rotation); the active signing key cannot be retired. */
export async function retireContextKeys(
  ownerUrl: string,
  kids: string[],
  activeKid: string | undefined,
): Promise<string[]> {
  if (activeKid && kids.includes(activeKid))
    throw new Error(`refusing to retire ${activeKid}: it is the DB_CONTEXT_KEY being installed`);
  return withClient(ownerUrl, async (client) => {
    const { rows } = await client.query<{ kid: string }>(
      "UPDATE app_private.context_keys SET retired_at = now() WHERE kid = ANY($1) AND retired_at IS NULL RETURNING kid",
      [kids],
    );
    return rows.map((row) => row.kid);
  });
}
