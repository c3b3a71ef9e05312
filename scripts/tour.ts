// `npm run tour`: the README's promise, tested. Starts the stack exactly as `npm run dev` does
// (scripts/dev.ts) but on free ports with its own data directory, waits until it serves /health,
// runs `bash docs/tour.sh` against it, stops everything and exits with the tour's status.
// The stack's output is shown only when something fails.
import { spawn } from "node:child_process";
import { chmod, mkdtemp, rm } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { reachableDataDir } from "../dev/postgres-binaries.ts";

const root = new URL("..", import.meta.url).pathname;
const started = performance.now();
const STARTUP_TIMEOUT_MS = 120_000;

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

const dataDir = await mkdtemp(join(tmpdir(), "securebase-tour-"));
await chmod(dataDir, 0o755); // embedded Postgres runs as the postgres user when we are root
const ports = { PORT: await freePort(), DEV_PG_PORT: await freePort(), DEV_PROXY_PORT: await freePort() };
const sinkPort = await freePort();
const base = `http://127.0.0.1:${ports.PORT}`;
const env = {
  ...process.env,
  ...Object.fromEntries(Object.entries(ports).map(([k, v]) => [k, String(v)])),
  DEV_SINK_PORT: String(sinkPort),
  DEV_DATA_DIR: dataDir,
};

console.log(`tour: starting the dev stack on ${base} (data in ${dataDir})`);
const dev = spawn(process.execPath, [join(root, "scripts/dev.ts")], {
  cwd: root,
  env,
  stdio: ["ignore", "pipe", "pipe"],
});
let devOutput = "";
dev.stdout.on("data", (chunk: Buffer) => (devOutput += chunk));
dev.stderr.on("data", (chunk: Buffer) => (devOutput += chunk));
const devExited = new Promise<number | null>((resolve) => dev.once("exit", resolve));

async function stop(): Promise<void> {
  if (dev.exitCode === null && dev.signalCode === null) {
    dev.kill("SIGINT"); // scripts/dev.ts stops wrangler, the sink, the proxy and Postgres
    const timer = setTimeout(() => dev.kill("SIGKILL"), 30_000);
    await devExited;
    clearTimeout(timer);
  }
  await rm(dataDir, { recursive: true, force: true });
  const pgData = reachableDataDir(join(dataDir, "postgres"));
  if (!pgData.startsWith(dataDir)) await rm(pgData, { recursive: true, force: true });
}

async function finish(code: number, why?: string): Promise<never> {
  if (why) console.error(`tour: ${why}\n--- npm run dev output ---\n${devOutput}--- end ---`);
  await stop();
  console.log(`tour: ${code === 0 ? "passed" : "failed"} in ${((performance.now() - started) / 1000).toFixed(1)}s`);
  process.exit(code);
}
process.on("SIGINT", () => void finish(130));
process.on("SIGTERM", () => void finish(143));

// Ready when /health answers 200 (the demo data is seeded before wrangler starts).
const deadline = Date.now() + STARTUP_TIMEOUT_MS;
let exitedEarly = false;
void devExited.then(() => (exitedEarly = true));
for (;;) {
  if (exitedEarly) await finish(1, "the dev stack exited before it served /health");
  if (Date.now() > deadline) await finish(1, `no 200 from ${base}/health after ${STARTUP_TIMEOUT_MS / 1000}s`);
  const ok = await fetch(`${base}/health`).then(
    (response) => response.status === 200,
    () => false,
  );
  if (ok) break;
  await new Promise((resolve) => setTimeout(resolve, 500));
}
console.log(`tour: the stack is up after ${((performance.now() - started) / 1000).toFixed(1)}s; running docs/tour.sh`);

const tour = spawn("bash", [join(root, "docs/tour.sh")], {
  cwd: root,
  env: { ...env, BASE: base },
  stdio: "inherit",
});
const code = await new Promise<number>((resolve) => tour.once("exit", (c, signal) => resolve(c ?? (signal ? 1 : 0))));
await finish(code, code === 0 ? undefined : `docs/tour.sh exited with ${code}`);
