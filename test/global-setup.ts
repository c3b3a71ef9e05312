// Starts what the tests need, in Node, before any test file: an embedded Postgres on a free
// port with a fresh data directory (deleted afterwards), all migrations, the WebSocket proxy.
// The migrated database is the template: each workerd gets a copy of its own (vitest.config.ts),
// and nothing connects to the template itself (connections to it are refused, so a test that
// reached past its copy fails loudly instead of making later copies fail now and then).
import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { TestProject } from "vitest/node";
import pg from "pg";
import { startLocalStack } from "../dev/local-stack.ts";
import { startFaultControl } from "../dev/fault-control.ts";
import { migrate } from "../db/migrate.ts";
import { startLocalSink } from "../dev/local-sink.ts";
import { freePort } from "./helpers/free-port.ts";
import { startPdfReader } from "./helpers/pdf-reader.ts";

declare module "vitest" {
  export interface ProvidedContext {
    adminUrl: string;
    ownerUrl: string;
    apiUrl: string;
    jobsUrl: string;
    analyticsUrl: string;
    dbContextKey: string;
    dataEncryptionKey: string;
    proxyUrl: string;
    /** DB_PROXY_TOKEN_KEY: signs the tokens the proxy asks of every connection. */
    proxyTokenKey: string;
    proxyStatsUrl: string;
    sessionSigningKeys: string;
    migrations: { firstRun: string[]; secondRun: { applied: string[]; skipped: string[] } };
    /** POST {url}/postgres/freeze|thaw, /proxy/stop|start (dev/fault-control.ts). */
    faultControlUrl: string;
    /** Cases per route in test/platform/fuzz.test.ts (FUZZ_RUNS; `npm run fuzz` raises it). */
    fuzzRuns: number;
    /** The local sink: SES API, webhook receivers, DNS over HTTPS (dev/local-sink.ts). */
    sinkUrl: string;
    sesSecretAccessKey: string;
    /** POST a PDF, get its text per page (test/helpers/pdf-reader.ts): pdf.js runs in Node, not workerd. */
    pdfReaderUrl: string;
  }
}

export default async function setup(project: TestProject) {
  const dataDir = await mkdtemp(join(tmpdir(), "securebase-test-pg-"));
  const dbContextKey = `ctxtest:${randomBytes(32).toString("base64url")}`;
  const stack = await startLocalStack({
    contextKey: dbContextKey,
    dataDir,
    pgPort: await freePort(),
    database: "securebase_test",
    persistent: false,
  });
  // Re-running must apply nothing: the runner records what ran.
  const secondRun = await migrate(stack.ownerUrl);
  await closeToConnections(stack.adminUrl!);

  project.provide("adminUrl", stack.adminUrl!);
  project.provide("ownerUrl", stack.ownerUrl);
  project.provide("analyticsUrl", stack.analyticsUrl);
  project.provide("dbContextKey", dbContextKey);
  project.provide("dataEncryptionKey", `dek1:${randomBytes(32).toString("base64url")}`);
  project.provide("apiUrl", stack.apiUrl);
  project.provide("jobsUrl", stack.jobsUrl);
  project.provide("proxyUrl", stack.proxy.url);
  project.provide("proxyTokenKey", stack.proxyTokenKey);
  project.provide("proxyStatsUrl", `http://127.0.0.1:${stack.proxy.port}/stats`);
  project.provide(
    "sessionSigningKeys",
    `test2:${randomBytes(32).toString("base64url")},test1:${randomBytes(32).toString("base64url")}`,
  );
  project.provide("migrations", { firstRun: stack.migrations.applied, secondRun });
  project.provide("fuzzRuns", Number(process.env.FUZZ_RUNS ?? 4));
  const faults = await startFaultControl(stack, dataDir);
  project.provide("faultControlUrl", faults.url);
  const sesSecretAccessKey = randomBytes(30).toString("base64");
  const sink = await startLocalSink({
    ses: { accessKeyId: "AKIATESTSINK", secretAccessKey: sesSecretAccessKey, region: "us-east-1" },
  });
  project.provide("sinkUrl", sink.url);
  project.provide("sesSecretAccessKey", sesSecretAccessKey);
  const pdfReader = await startPdfReader();
  project.provide("pdfReaderUrl", pdfReader.url);

  return async () => {
    await faults.close();
    await sink.close();
    await pdfReader.close();
    await stack.stop();
    await rm(dataDir, { recursive: true, force: true });
  };
}

async function closeToConnections(adminUrl: string): Promise<void> {
  const url = new URL(adminUrl);
  const database = url.pathname.slice(1);
  const client = new pg.Client({ connectionString: Object.assign(url, { pathname: "/postgres" }).toString() });
  await client.connect();
  try {
    await client.query(`ALTER DATABASE "${database}" WITH ALLOW_CONNECTIONS false`);
  } finally {
    await client.end();
  }
}
