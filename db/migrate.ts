// Migration runner: applies db/migrations/NNNN_name.sql in order, each in its own transaction,
// and records what ran (with a checksum) in schema_migrations. Applied files are skipped; an
// applied file whose content changed is an error, not a silent re-run. An advisory lock keeps
// two runners (two dev shells, parallel CI jobs) from migrating the same database at once.
import { createHash } from "node:crypto";
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import pg from "pg";

export const migrationsDir = new URL("./migrations/", import.meta.url).pathname;

export interface MigrationResult {
  applied: string[];
  skipped: string[];
}

const LOCK_KEY = 7_402_001; // arbitrary, fixed: "securebase migrations"

export async function listMigrations(dir = migrationsDir): Promise<{ version: string; file: string }[]> {
  const files = (await readdir(dir)).filter((f) => /^\d{4}_[a-z0-9_]+\.sql$/.test(f)).sort();
  return files.map((file) => ({ version: file.slice(0, 4), file }));
}

export async function migrate(connectionString: string, dir = migrationsDir): Promise<MigrationResult> {
  const client = new pg.Client({ connectionString });
  await client.connect();
  try {
    await client.query("SELECT pg_advisory_lock($1)", [LOCK_KEY]);
    await client.query(`CREATE TABLE IF NOT EXISTS schema_migrations (
      version    text PRIMARY KEY,
      name       text NOT NULL,
      checksum   text NOT NULL,
      applied_at timestamptz NOT NULL DEFAULT now())`);
    const done = new Map<string, string>();
    for (const row of (await client.query("SELECT version, checksum FROM schema_migrations")).rows) {
      done.set(row.version, row.checksum);
    }
    const result: MigrationResult = { applied: [], skipped: [] };
    for (const { version, file } of await listMigrations(dir)) {
      const sql = await readFile(join(dir, file), "utf8");
      const checksum = createHash("sha256").update(sql).digest("hex");
      const recorded = done.get(version);
      if (recorded !== undefined) {
        if (recorded !== checksum) {
          throw new Error(`migration ${file} was changed after it was applied; add a new migration instead`);
        }
        result.skipped.push(file);
        continue;
      }
      await client.query("BEGIN");
      try {
        await client.query(sql);
        await client.query("INSERT INTO schema_migrations (version, name, checksum) VALUES ($1, $2, $3)", [
          version,
          file,
          checksum,
        ]);
        await client.query("COMMIT");
      } catch (error) {
        await client.query("ROLLBACK");
        throw new Error(`migration ${file} failed: ${(error as Error).message}`, { cause: error });
      }
      result.applied.push(file);
    }
    return result;
  } finally {
    await client.query("SELECT pg_advisory_unlock($1)", [LOCK_KEY]).catch(() => undefined);
    await client.end();
  }
}
