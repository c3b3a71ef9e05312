// Starts the stack as `npm run dev` does (scripts/dev.ts: embedded Postgres, demo data, sink,
// wrangler with the portal built) on free ports in a throwaway data directory, like
// scripts/tour.ts, and hands the tests its addresses and demo logins through the environment.
// The portal is opened on http://localhost:<port>: passkeys need a hostname as RP ID, so the
// stack runs with PORTAL_URL set to it.
import { spawn } from "node:child_process";
import { chmod, mkdtemp, rm } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { reachableDataDir } from "../../dev/postgres-binaries.ts";

const root = new URL("../..", import.meta.url).pathname;
const STARTUP_TIMEOUT_MS = 180_000;

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

export default async function globalSetup(): Promise<() => Promise<void>> {
  const dataDir = await mkdtemp(join(tmpdir(), "securebase-browser-"));
  await chmod(dataDir, 0o755); // embedded Postgres runs as the postgres user when we are root
  const port = await freePort();
  const sinkPort = await freePort();
  const base = `http://localhost:${port}`;
  const dev = spawn(process.execPath, [join(root, "scripts/dev.ts")], {
    cwd: root,
    env: {
      ...process.env,
      PORT: String(port),
      DEV_PG_PORT: String(await freePort()),
      DEV_PROXY_PORT: String(await freePort()),
      DEV_SINK_PORT: String(sinkPort),
      DEV_DATA_DIR: dataDir,
      PORTAL_URL: base,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  dev.stdout.on("data", (chunk: Buffer) => (output += chunk));
  dev.stderr.on("data", (chunk: Buffer) => (output += chunk));
  const exited = new Promise<void>((resolve) => dev.once("exit", () => resolve()));

  async function stop(): Promise<void> {
    if (dev.exitCode === null && dev.signalCode === null) {
      dev.kill("SIGINT"); // scripts/dev.ts stops wrangler, the sink, the proxy and Postgres
      const timer = setTimeout(() => dev.kill("SIGKILL"), 30_000);
      await exited;
      clearTimeout(timer);
    }
    await rm(dataDir, { recursive: true, force: true });
    const pgData = reachableDataDir(join(dataDir, "postgres"));
    if (!pgData.startsWith(dataDir)) await rm(pgData, { recursive: true, force: true });
  }

  const deadline = Date.now() + STARTUP_TIMEOUT_MS;
  // The banner (with the logins) is printed once wrangler is ready.
  while (!/Portal logins[^\n]*\n(?:.*\n)*?\s+staff@\S+ \/ \S+/.test(output)) {
    if (dev.exitCode !== null || Date.now() > deadline) {
      await stop();
      throw new Error(`browser tests: the dev stack did not start\n${output}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  const logins = [...output.matchAll(/^\s+(\S+@\S+) \/ (\S+)\s+\((.*)\)$/gm)].map((m) => ({
    email: m[1],
    password: m[2],
    what: m[3],
  }));
  const totp = [...output.matchAll(/^\s+(\S+@\S+) \/ \S+.*\n\s+TOTP secret[^:]*: (\S+)$/gm)].map((m) => [m[1], m[2]]);
  process.env.PORTAL_BASE = base;
  process.env.PORTAL_SINK = `http://127.0.0.1:${sinkPort}`;
  process.env.PORTAL_LOGINS = JSON.stringify(logins);
  process.env.PORTAL_TOTP = JSON.stringify(Object.fromEntries(totp));
  return stop;
}
