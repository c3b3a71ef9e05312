// `npm run drill:restore`: the restore drill (dev/restore-drill.ts, docs/runbooks.md "Restore
// drill"). Uses this checkout's running `npm run dev` Postgres if there is one; otherwise starts
// an embedded Postgres of its own in a temporary directory, migrated and seeded with the demo
// data, and stops it afterwards. DRILL_ADMIN_URL + DRILL_DATA_DIR: a local server of your own (a
// superuser URL of the database, and its data directory). Exits 1 when a check fails.
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startDevDatabase } from "../dev/dev-database.ts";
import { DATA_DIR_RECORD, runningPostmaster } from "../dev/dev-instance.ts";
import { reachableDataDir } from "../dev/postgres-binaries.ts";
import { runRestoreDrill, seedAuditTrail } from "../dev/restore-drill.ts";

const root = new URL("..", import.meta.url).pathname;

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** A running `npm run dev` Postgres of this checkout, looked up without recording a choice (chooseDataDir would). */
function runningDevPostgres(): { dir: string; port: number } | null {
  const dataRoot = join(root, ".data");
  const record = join(dataRoot, DATA_DIR_RECORD);
  const inCheckout = join(dataRoot, "postgres");
  const candidates = [
    ...(existsSync(record) ? [readFileSync(record, "utf8").trim()] : []),
    inCheckout,
    reachableDataDir(inCheckout, { force: true }),
  ];
  for (const dir of candidates.filter(Boolean)) {
    const running = runningPostmaster(dir);
    if (running) return { dir, port: running.port };
  }
  return null;
}

async function main(): Promise<number> {
  const started = performance.now();
  let adminUrl = process.env.DRILL_ADMIN_URL;
  let dataDir = process.env.DRILL_DATA_DIR;
  let cleanup: () => Promise<void> = async () => undefined;
  if (!adminUrl || !dataDir) {
    const running = runningDevPostgres();
    if (running) {
      console.log(`source: this checkout's dev Postgres (port ${running.port})`);
      adminUrl = `postgres://postgres:postgres@127.0.0.1:${running.port}/securebase`;
      dataDir = running.dir;
    } else {
      const dataRoot = mkdtempSync(join(tmpdir(), "restore-drill-source-"));
      const dev = await startDevDatabase({ dataRoot, pgPort: await freePort(), proxyPort: await freePort() });
      adminUrl = dev.stack.adminUrl!;
      await seedAuditTrail(adminUrl, 500);
      console.log(`source: a new embedded Postgres with the demo data (${Math.round(performance.now() - started)} ms)`);
      dataDir = dev.dataDir!;
      cleanup = async () => {
        await dev.stack.stop();
        rmSync(dataRoot, { recursive: true, force: true });
        rmSync(dataDir!, { recursive: true, force: true });
      };
    }
  }
  try {
    const report = await runRestoreDrill({
      adminUrl,
      sourceDataDir: dataDir,
      port: await freePort(),
      log: (line) => console.log(line),
    });
    console.log(
      `verify: ${report.tables} tables, ${report.rows} rows, ${report.mismatches.length} count mismatches; ` +
        `audit chains of ${report.chain.customers} customers (${report.chain.events} events) ` +
        (report.chain.broken ? `BROKEN at ${JSON.stringify(report.chain.broken)}` : "intact"),
    );
    for (const m of report.mismatches) console.log(`  ${m.table}: source ${m.source}, restored ${m.restored}`);
    console.log(
      `restore drill ${report.ok ? "passed" : "FAILED"}: backup ${report.timings.backup_ms} ms, restore ${report.timings.restore_ms} ms, ` +
        `verify ${report.timings.verify_ms} ms, total ${report.timings.total_ms} ms`,
    );
    return report.ok ? 0 : 1;
  } finally {
    await cleanup();
  }
}

process.exitCode = await main().catch((error: unknown) => {
  console.error(error);
  return 1;
});
