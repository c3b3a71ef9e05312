import { randomBytes } from "node:crypto";
import { cloudflareTest } from "@cloudflare/vitest-plugin";
import { defineConfig } from "vitest/config";
import { BaseSequencer, type TestSpecification } from "vitest/node";
import { copyDatabase } from "./dev/postgres.ts";

// One run (`npm test`), test files in parallel (maxWorkers below):
// - "workers": the Worker's tests inside workerd (its real runtime) with the bindings from
//   wrangler.toml, against the real Postgres, WebSocket proxy and local sink that
//   test/global-setup.ts starts. Not isolated: a workerd runs one file after another with the
//   modules it has loaded already (a fresh workerd and module graph per file cost ~2 s of CPU
//   each), so each of these workerds is a lane of files that run one at a time.
// - "workers-isolated": files that need a workerd and a database to themselves (ISOLATED).
// - "workers-alone": files that stop the shared Postgres or proxy; they run after all others.
// - "node": tests that need Node itself — Terraform (CLI and policies on parsed HCL), the deploy
//   scripts against their own embedded Postgres, wrangler.toml environments, and `*.node.test.ts`
//   (e.g. RDS IAM auth tokens checked against AWS's own Node signer).
//
// Each workerd has a database of its own: a copy of the migrated one, made as the workerd starts
// (CREATE DATABASE … TEMPLATE, ~0.1 s). Files make their own tenants anyway; the copy also keeps
// apart what is not per tenant: the Cron sweeps, billing runs and the daily cost job act on every
// tenant of their database (a sweep would re-publish another file's outbox rows and re-queue its
// due deliveries). The proxy and the sink are shared: DB_WS_PROXY_URL ends in a tag of the
// workerd's own (/v2/<tag>) so the proxy counts its round trips apart (proxyStats() in
// test/helpers/database.ts), and sink receivers have random names.

/**
 * Files that get a fresh workerd and a fresh database: they assert on what every tenant of the
 * database did, or on exact proxy counters, so work left running by the file before them in a
 * lane (queue consumers, delayed retries, waitUntil) would change their figures. The value says
 * what they count.
 */
const ISOLATED: Record<string, string> = {
  "test/events/scale.test.ts": "runs long, 50,000 deliveries: in a lane it would load the files after it",
  "test/events/outbox.test.ts": "exact round trips; a row must stay unpublished while no sweep runs",
  "test/admin/status.test.ts": "the outbox backlog and dead deliveries of every tenant",
  "test/admin/customers.test.ts": "every customer, newest first",
  "test/billing/runs.test.ts": "billing runs over every customer of a month, gap-free numbers",
  "test/cron/scheduled.test.ts": "every job run, purged rows",
  "test/auth/principal-cache.test.ts": "exact connections and round trips",
  "test/auth/login.test.ts": "no connection made for a logged-out token",
  "test/health.test.ts": "no connection made by /health/live",
  "test/operations/alerts.test.ts": "incidents and the request counter are platform-wide",
};

/**
 * Files that freeze or stop the one Postgres server or the WebSocket proxy every file uses
 * (dev/fault-control.ts): anything running beside them would fail. They run one at a time, after
 * every other file (sequence.groupOrder).
 */
const ALONE = ["test/platform/database-faults.test.ts", "test/platform/database-outage.test.ts"];

/**
 * The order files start in: the longest first (scale: 45-90 s alone, longer beside the rest),
 * then the isolated ones, the node ones, then the lanes. Within each, vitest's order (slowest first by the last run's
 * durations, else largest file first).
 */
class LongestFirst extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const rank = (spec: TestSpecification) =>
      spec.moduleId.endsWith("test/events/scale.test.ts")
        ? 0
        : spec.project.name === "workers-isolated"
          ? 1
          : spec.project.name === "node"
            ? 2
            : 3;
    return (await super.sort(files))
      .map((spec, i) => ({ spec, i }))
      .sort((a, b) => rank(a.spec) - rank(b.spec) || a.i - b.i)
      .map(({ spec }) => spec);
  }
}

/**
 * workerd logs every failed outbound connection as an "uncaught exception", even one the Worker
 * catches and answers with a 503 (the promise that failed is workerd's own, inside fetch). The
 * outage tests (ALONE) stop the WebSocket proxy on purpose, so each connection attempt they
 * provoke prints these lines; they are not errors of the code under test. The pool writes
 * workerd's log to this process's stdout/stderr one message per write and offers no hook, so exactly
 * these messages are dropped here. Anything else (a DNS failure, another error) still shows.
 */
const EXPECTED_WORKERD_LOGS = [
  /^uncaught exception; source = Uncaught \(in promise\); stack = Error: Network connection lost\.\n?$/,
  /^uncaught exception; exception = workerd\/jsg\/value\.h:\d+: disconnected: jsg\.Error: Network connection lost\.\nstack: [^\n]*\n?$/,
  /^exception = rust\/worker\/ffi\.rs:\d+: disconnected: (Connection refused \(os error 111\)|Connection reset by peer \(os error 104\)|client error \((SendRequest|Canceled)\))\nstack: [^\n]*\n?$/,
];
for (const stream of [process.stdout, process.stderr]) {
  const write = stream.write.bind(stream);
  stream.write = ((chunk: string | Uint8Array, ...rest: never[]) =>
    typeof chunk === "string" && EXPECTED_WORKERD_LOGS.some((pattern) => pattern.test(chunk))
      ? true
      : write(chunk, ...rest)) as typeof stream.write;
}

let databases = 0;
const workerd = () =>
  cloudflareTest(async ({ inject }) => {
    // The injected URLs name the template (test/global-setup.ts); this workerd gets a copy.
    const database = `securebase_test_${++databases}`;
    await copyDatabase(inject("adminUrl"), new URL(inject("adminUrl")).pathname.slice(1), database);
    const own = (url: string) => Object.assign(new URL(url), { pathname: `/${database}` }).toString();
    return {
      wrangler: { configPath: "./wrangler.toml" },
      miniflare: {
        bindings: {
          ENVIRONMENT: "test",
          DATABASE_URL: own(inject("apiUrl")),
          JOBS_DATABASE_URL: own(inject("jobsUrl")),
          ANALYTICS_DATABASE_URL: own(inject("analyticsUrl")),
          DB_WS_PROXY_URL: `${inject("proxyUrl")}/${randomBytes(9).toString("base64url")}`,
          DB_PROXY_TOKEN_KEY: inject("proxyTokenKey"),
          SESSION_SIGNING_KEYS: inject("sessionSigningKeys"),
          DB_CONTEXT_KEY: inject("dbContextKey"),
          DATA_ENCRYPTION_KEY: inject("dataEncryptionKey"),
          // The local sink (dev/local-sink.ts): SES API, webhook receivers, DoH zone.
          SES_ENDPOINT: inject("sinkUrl"),
          SES_ACCESS_KEY_ID: "AKIATESTSINK",
          SES_SECRET_ACCESS_KEY: inject("sesSecretAccessKey"),
          DOH_URL: `${inject("sinkUrl")}/dns-query`,
          // SES bounce/complaint notifications (test/notifications/ses-notifications.test.ts): the
          // topic accepted, and the sink as the SNS certificate and confirmation host (test only).
          SES_NOTIFICATIONS_TOPIC_ARN: "arn:aws:sns:us-east-1:000000000000:securebase-test-email-events",
          SNS_TEST_ORIGINS: inject("sinkUrl"),
          // The seller on invoices (worker/invoices/seller.ts): test values, so documents show configuration.
          SELLER_LEGAL_NAME: "SecureBase Test Seller, LLC",
          SELLER_ADDRESS: "500 Test Avenue | Testville, TX 75001 | United States",
          SELLER_TAX_ID: "EIN 99-1234567",
          SELLER_PAYMENT_INSTRUCTIONS:
            "Wire to Test Bank, routing 000000000, account 123456789 | Reference: the invoice number",
          // Two secrets: the provider webhook accepts either (rotation); test/invoices/provider-webhook.test.ts.
          PAYMENT_WEBHOOK_SECRET: "whsec_test_current,whsec_test_previous",
        },
      },
    };
  });
const timeouts = { testTimeout: 20_000, hookTimeout: 30_000 };

export default defineConfig({
  test: {
    reporters: ["default", "./test/summary-reporter.ts"],
    // Console output of passing tests is dropped: several tests make things fail on purpose
    // (a wrong database password, a malformed message) and the logs they provoke are expected.
    // A failing test still shows everything it logged.
    silent: "passed-only",
    // The Worker logs one JSON line per request (worker/http/request-log.ts); keep them out of
    // the test output (test/platform/request-log.test.ts asserts them).
    onConsoleLog: (log: string) => !log.startsWith('{"message":"request"'),
    // One Postgres, proxy and sink for every project.
    globalSetup: ["./test/global-setup.ts"],
    // Files at once. Most of a file's time is waiting on Postgres, the proxy and the sink, so
    // more files than cores keeps both cores busy (BENCHMARKS.md, "Test suite time").
    maxWorkers: 4,
    sequence: { sequencer: LongestFirst },
    projects: [
      {
        plugins: [workerd()],
        test: {
          name: "workers",
          include: ["test/**/*.test.ts"],
          exclude: [
            "test/terraform/**",
            "test/deploy/**",
            "test/**/*.node.test.ts",
            ...Object.keys(ISOLATED),
            ...ALONE,
          ],
          isolate: false,
          ...timeouts,
        },
      },
      {
        plugins: [workerd()],
        test: { name: "workers-isolated", include: Object.keys(ISOLATED), ...timeouts },
      },
      {
        plugins: [workerd()],
        test: { name: "workers-alone", include: ALONE, maxWorkers: 1, sequence: { groupOrder: 1 }, ...timeouts },
      },
      {
        test: {
          name: "node",
          environment: "node",
          include: ["test/terraform/**/*.test.ts", "test/deploy/**/*.test.ts", "test/**/*.node.test.ts"],
          testTimeout: 120_000,
          hookTimeout: 60_000,
        },
      },
    ],
  },
});
