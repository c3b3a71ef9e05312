// The restore drill (`npm run drill:restore`, docs/deploy.md "Restore"): the production restore
// rebuilds a NEW Aurora cluster from a backup plus the write-ahead log, so the drill does the same
// with a local Postgres: an online base backup (pg_backup_start/stop, the data files, then the WAL
// written meanwhile), a new server started on that copy (it replays the WAL to a consistent
// point), then the checks the runbook makes on Aurora: every customer's audit chain verifies and
// every table has as many rows as in the source. It reports the time of each step.
//
// A physical backup needs only the server's own binaries: the embedded Postgres ships no pg_dump,
// and the system's may be older than the server (pg_dump refuses a newer server).
import { execFileSync } from "node:child_process";
import { cpSync, chownSync, existsSync, mkdirSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import pg from "pg";
import { startLocalPostgres } from "./postgres.ts";
import { RELOCATED_ROOT, needsRelocation } from "./postgres-binaries.ts";

export interface TableCount {
  table: string;
  rows: number;
}

export interface ChainCheck {
  customers: number;
  events: number;
  /** The first broken link, if any: customer, seq and why. */
  broken: { customer_id: string; seq: string; reason: string } | null;
}

export interface DrillReport {
  database: string;
  tables: number;
  rows: number;
  mismatches: { table: string; source: number; restored: number }[];
  chain: ChainCheck;
  timings: { backup_ms: number; restore_ms: number; verify_ms: number; total_ms: number };
  ok: boolean;
}

/** Row count of every table outside the system schemas (as a superuser: RLS does not hide rows). */
export async function countRows(client: pg.Client): Promise<TableCount[]> {
  const { rows: tables } = await client.query<{ name: string }>(
    `SELECT format('%I.%I', schemaname, tablename) AS name FROM pg_tables
     WHERE schemaname NOT IN ('pg_catalog', 'information_schema') ORDER BY 1`,
  );
  const counts: TableCount[] = [];
  for (const { name } of tables) {
    const { rows } = await client.query<{ n: string }>(`SELECT count(*) AS n FROM ${name}`);
    counts.push({ table: name, rows: Number(rows[0]!.n) });
  }
  return counts;
}

/**
 * Every customer's audit chain, checked as app.verify_audit_chain() (migration 0005) checks the
 * caller's: consecutive seq from 1, each prev_hash the previous hash, each hash the SHA-256 of
 * app.audit_canonical(event). Here over all customers at once, as a superuser.
 */
export async function verifyAllChains(client: pg.Client): Promise<ChainCheck> {
  const { rows } = await client.query<{ customers: string; events: string }>(
    "SELECT count(DISTINCT customer_id) AS customers, count(*) AS events FROM audit_events",
  );
  const broken = await client.query<{ customer_id: string; seq: string; reason: string }>(
    `WITH e AS (
       SELECT a.customer_id, a.seq, a.prev_hash, a.hash,
              lag(a.seq, 1, 0::bigint) OVER w AS prev_seq,
              lag(a.hash, 1, decode(repeat('00', 32), 'hex')) OVER w AS prev,
              digest(app.audit_canonical(a), 'sha256') AS computed
       FROM audit_events a WINDOW w AS (PARTITION BY a.customer_id ORDER BY a.seq))
     SELECT customer_id::text, seq::text,
            CASE WHEN seq <> prev_seq + 1 THEN 'sequence gap'
                 WHEN prev_hash <> prev THEN 'prev_hash does not match the previous event'
                 ELSE 'hash does not match the event content' END AS reason
     FROM e WHERE seq <> prev_seq + 1 OR prev_hash <> prev OR hash <> computed
     ORDER BY customer_id, seq LIMIT 1`,
  );
  return {
    customers: Number(rows[0]!.customers),
    events: Number(rows[0]!.events),
    broken: broken.rows[0] ?? null,
  };
}

function compare(source: TableCount[], restored: TableCount[]): DrillReport["mismatches"] {
  const after = new Map(restored.map((t) => [t.table, t.rows]));
  const tables = new Set([...source.map((t) => t.table), ...after.keys()]);
  const before = new Map(source.map((t) => [t.table, t.rows]));
  return [...tables]
    .filter((t) => before.get(t) !== after.get(t))
    .map((t) => ({ table: t, source: before.get(t) ?? -1, restored: after.get(t) ?? -1 }));
}

/** The postgres OS user's ids when running as root (embedded Postgres then runs as that user). */
function postgresOwner(): { uid: number; gid: number } | null {
  if (process.getuid?.() !== 0) return null;
  const id = (flag: string) => Number(execFileSync("id", [flag, "postgres"], { encoding: "utf8" }).trim());
  return { uid: id("-u"), gid: id("-g") };
}

function chownTree(path: string, owner: { uid: number; gid: number }) {
  chownSync(path, owner.uid, owner.gid);
  if (statSync(path).isDirectory()) for (const entry of readdirSync(path)) chownTree(join(path, entry), owner);
}

/** Files a base backup leaves out (the PostgreSQL manual, "Making a Base Backup Using the Low Level API"). */
const EXCLUDED = new Set(["postmaster.pid", "postmaster.opts", "pg_wal", "pg_replslot", "pg_stat_tmp"]);

/**
 * The drill against a running server: `adminUrl` is a superuser URL of the database to restore,
 * `sourceDataDir` the server's data directory (readable by this process), `port` a free port for
 * the restored server.
 */
export async function runRestoreDrill(options: {
  adminUrl: string;
  sourceDataDir: string;
  port: number;
  log?: (line: string) => void;
}): Promise<DrillReport> {
  const log = options.log ?? (() => undefined);
  const database = new URL(options.adminUrl).pathname.slice(1);
  const started = performance.now();
  const target = needsRelocation(RELOCATED_ROOT)
    ? join("/tmp", `restore-drill-${process.pid}`)
    : join(RELOCATED_ROOT, `restore-drill-${process.pid}`);
  rmSync(target, { recursive: true, force: true });
  mkdirSync(target, { recursive: true, mode: 0o700 });

  const source = new pg.Client({ connectionString: options.adminUrl });
  await source.connect();
  let sourceCounts: TableCount[];
  try {
    // One session holds the backup open; the data files are copied meanwhile.
    await source.query("SELECT pg_backup_start('restore-drill', true)");
    for (const entry of readdirSync(options.sourceDataDir)) {
      if (EXCLUDED.has(entry)) continue;
      cpSync(join(options.sourceDataDir, entry), join(target, entry), { recursive: true });
    }
    const stop = await source.query<{ labelfile: string; spcmapfile: string | null }>(
      "SELECT labelfile, spcmapfile FROM pg_backup_stop(false)",
    );
    sourceCounts = await countRows(source);
    // The WAL written until the backup stopped: recovery replays it to a consistent state.
    cpSync(join(options.sourceDataDir, "pg_wal"), join(target, "pg_wal"), { recursive: true });
    for (const dir of ["pg_replslot", "pg_stat_tmp"]) mkdirSync(join(target, dir), { recursive: true });
    writeFileSync(join(target, "backup_label"), stop.rows[0]!.labelfile);
    if (stop.rows[0]!.spcmapfile) writeFileSync(join(target, "tablespace_map"), stop.rows[0]!.spcmapfile);
  } finally {
    await source.end();
  }
  const owner = postgresOwner();
  if (owner) chownTree(target, owner);
  const backupMs = performance.now() - started;
  log(`backup: ${sourceCounts.length} tables copied with their WAL in ${Math.round(backupMs)} ms`);

  // The restored server: a new instance on the copy (persistent: false removes it when stopped).
  const restoreStarted = performance.now();
  const restored = await startLocalPostgres({ dataDir: target, port: options.port, persistent: false });
  try {
    const restoreMs = performance.now() - restoreStarted;
    log(`restore: new server on port ${options.port} consistent in ${Math.round(restoreMs)} ms`);
    const verifyStarted = performance.now();
    const client = new pg.Client({ connectionString: restored.adminUrl(database) });
    await client.connect();
    try {
      const restoredCounts = await countRows(client);
      const chain = await verifyAllChains(client);
      const mismatches = compare(sourceCounts, restoredCounts);
      const verifyMs = performance.now() - verifyStarted;
      return {
        database,
        tables: restoredCounts.length,
        rows: restoredCounts.reduce((sum, t) => sum + t.rows, 0),
        mismatches,
        chain,
        timings: {
          backup_ms: Math.round(backupMs),
          restore_ms: Math.round(restoreMs),
          verify_ms: Math.round(verifyMs),
          total_ms: Math.round(performance.now() - started),
        },
        ok: mismatches.length === 0 && chain.broken === null && restoredCounts.length > 0,
      };
    } finally {
      await client.end();
    }
  } finally {
    await restored.stop();
    if (existsSync(target)) rmSync(target, { recursive: true, force: true });
  }
}

/**
 * As a superuser: `perCustomer` audit events for every customer, through the chain trigger
 * (migration 0005 sets seq, prev_hash and hash), so the drill has chains to verify.
 */
export async function seedAuditTrail(adminUrl: string, perCustomer: number): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    // One row at a time per customer: the trigger reads the chain head each insert updated.
    await client.query(
      `INSERT INTO audit_events (customer_id, actor_type, action, resource_type, resource_id, summary, data, prev_hash, hash)
       SELECT c.id, 'system', 'drill.seeded', 'drill', n::text, 'restore drill event ' || n, jsonb_build_object('n', n), '\\x', '\\x'
       FROM customers c CROSS JOIN generate_series(1, $1::integer) AS n ORDER BY c.id, n`,
      [perCustomer],
    );
  } finally {
    await client.end();
  }
}
