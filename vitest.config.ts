import { cloudflareTest } from "@cloudflare/vitest-plugin";
import { defineConfig } from "vitest/config";

// Two projects, one run (`npm test`):
// - "workers": the Worker's tests inside workerd (its real runtime) with the bindings from
//   wrangler.toml; test/global-setup.ts starts the real Postgres and the WebSocket proxy and
//   provides their URLs.
// - "node": tests that need Node itself — Terraform (CLI and policies on parsed HCL), the deploy
//   scripts against their own embedded Postgres, wrangler.toml environments, and `*.node.test.ts`
//   (e.g. RDS IAM auth tokens checked against AWS's own Node signer).
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
    projects: [
      {
        plugins: [
          cloudflareTest(({ inject }) => ({
            wrangler: { configPath: "./wrangler.toml" },
            miniflare: {
              bindings: {
                ENVIRONMENT: "test",
                DATABASE_URL: inject("apiUrl"),
                JOBS_DATABASE_URL: inject("jobsUrl"),
                ANALYTICS_DATABASE_URL: inject("analyticsUrl"),
                DB_WS_PROXY_URL: inject("proxyUrl"),
                SESSION_SIGNING_KEYS: inject("sessionSigningKeys"),
                DB_CONTEXT_KEY: inject("dbContextKey"),
                DATA_ENCRYPTION_KEY: inject("dataEncryptionKey"),
                // The local sink (scripts/local-sink.ts): SES API, webhook receivers, DoH zone.
                SES_ENDPOINT: inject("sinkUrl"),
                SES_ACCESS_KEY_ID: "AKIATESTSINK",
                SES_SECRET_ACCESS_KEY: inject("sesSecretAccessKey"),
                DOH_URL: `${inject("sinkUrl")}/dns-query`,
              },
            },
          })),
        ],
        test: {
          name: "workers",
          globalSetup: ["./test/global-setup.ts"],
          include: ["test/**/*.test.ts"],
          exclude: ["test/terraform/**", "test/deploy/**", "test/**/*.node.test.ts"],
          // One file at a time: some tests assert the proxy's global round-trip and connection
          // counters, which a concurrently running file would disturb.
          fileParallelism: false,
          testTimeout: 20_000,
          hookTimeout: 30_000,
        },
      },
      {
        test: {
          name: "node",
          environment: "node",
          include: ["test/terraform/**/*.test.ts", "test/deploy/**/*.test.ts", "test/**/*.node.test.ts"],
          fileParallelism: false,
          testTimeout: 120_000,
          hookTimeout: 60_000,
        },
      },
    ],
  },
});
