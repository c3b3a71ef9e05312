// What ties `npm run dev` runs of one checkout together: where its Postgres data lives (chosen
// once, recorded, never re-judged from permissions initdb changed), which local Worker state
// (KV, Queues under .data/wrangler) belongs to which database, and which run holds the checkout.
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { reachableDataDir } from "./postgres-binaries.ts";

/** The file under the checkout's .data that records where its Postgres data directory is. */
export const DATA_DIR_RECORD = "postgres-location";

const hasCluster = (dir: string) => existsSync(join(dir, "PG_VERSION"));

/**
 * The checkout's Postgres data directory: the recorded one; else one that already holds a
 * cluster (.data/postgres, then the relocated one an earlier run may have used); else a new
 * choice (reachableDataDir). The choice is recorded, so later runs never pick another.
 */
export function chooseDataDir(dataRoot: string): { dir: string; note?: string } {
  const record = join(dataRoot, DATA_DIR_RECORD);
  if (existsSync(record)) {
    const dir = readFileSync(record, "utf8").trim();
    if (dir)
      return {
        dir,
        note: hasCluster(dir) ? undefined : `no cluster in ${dir} (recorded in ${record}): a new one is created there`,
      };
  }
  const inCheckout = join(dataRoot, "postgres");
  const relocated = reachableDataDir(inCheckout, { force: true });
  const dir = hasCluster(inCheckout) ? inCheckout : hasCluster(relocated) ? relocated : reachableDataDir(inCheckout);
  mkdirSync(dataRoot, { recursive: true });
  writeFileSync(record, `${dir}\n`);
  const both = dir === inCheckout && hasCluster(relocated);
  return {
    dir,
    note: both ? `an older cluster in ${relocated} is not used (delete it if you do not need it)` : undefined,
  };
}

/** The pid and port of a Postgres running on `dataDir` (from its postmaster.pid), or null. */
export function runningPostmaster(dataDir: string): { pid: number; port: number } | null {
  let lines: string[];
  try {
    lines = readFileSync(join(dataDir, "postmaster.pid"), "utf8").split("\n");
  } catch {
    return null;
  }
  const pid = Number(lines[0]);
  return alive(pid) ? { pid, port: Number(lines[3]) } : null;
}

function alive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

export interface DevInstance {
  pid: number;
  url: string;
  startedAt: string;
}

/**
 * Claims the checkout for this run (.data/dev.json), or returns the live run that holds it.
 * A record left by a run that died is taken over.
 */
export function claimCheckout(dataRoot: string, url: string): { held: DevInstance } | { release: () => void } {
  const file = join(dataRoot, "dev.json");
  try {
    const held = JSON.parse(readFileSync(file, "utf8")) as DevInstance;
    if (held.pid !== process.pid && alive(held.pid)) return { held };
  } catch {
    // no record, or an unreadable one: nobody holds the checkout
  }
  mkdirSync(dataRoot, { recursive: true });
  const mine: DevInstance = { pid: process.pid, url, startedAt: new Date().toISOString() };
  writeFileSync(file, `${JSON.stringify(mine)}\n`);
  return {
    release: () => {
      try {
        if ((JSON.parse(readFileSync(file, "utf8")) as DevInstance).pid === process.pid) rmSync(file);
      } catch {
        // already gone
      }
    },
  };
}

/**
 * The local Worker state directory (wrangler --persist-to) for the database `identity`: state
 * mirrored from another database (cached principals, rate-limit windows, queued messages) is
 * deleted, so a cache never outlives the database it mirrors. Returns whether it was reset.
 */
export function workerStateFor(dataRoot: string, identity: string): { dir: string; reset: boolean } {
  const dir = join(dataRoot, "wrangler");
  const record = join(dataRoot, "wrangler-database");
  const previous = existsSync(record) ? readFileSync(record, "utf8").trim() : null;
  const reset = previous !== identity && existsSync(dir);
  if (reset) rmSync(dir, { recursive: true, force: true });
  mkdirSync(dataRoot, { recursive: true });
  writeFileSync(record, `${identity}\n`);
  return { dir, reset };
}
