// wrangler.toml's deployed environments: each has its own bindings, queues with dead-letter
// queues, crons, vars and observability; `wrangler types` agrees with worker/env.ts; and each
// environment bundles (`wrangler deploy --dry-run`), all offline.
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { schedule } from "../../cron/schedule.ts";
import {
  deployedEnvironments,
  generatedInterfaces,
  workerEnvMembers,
  workerSecrets,
  wrangler,
  wranglerConfig,
} from "./wrangler.ts";
import { isLocalEnvironment } from "../../worker/webhooks/url-policy.ts";

const config = wranglerConfig();
let scratch: string;

beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), "securebase-wrangler-"));
});
afterAll(async () => {
  await rm(scratch, { recursive: true, force: true });
});

describe("the schedule", () => {
  it("has a job for every cron wrangler.toml triggers, and no job without a trigger", () => {
    expect(Object.keys(schedule).sort()).toEqual([...config.triggers!.crons].sort());
  });
});

describe("the top level (what `wrangler deploy` without --env deploys)", () => {
  it("keeps the webhook SSRF guard on: development and test are set by npm run dev and the tests, not here", () => {
    expect(isLocalEnvironment({ ENVIRONMENT: config.vars?.ENVIRONMENT ?? "" })).toBe(false);
  });
});

describe.each(deployedEnvironments)("[env.%s]", (name) => {
  const env = config.env[name]!;

  it("has its own KV namespace, Durable Object binding and queues with a dead-letter queue", () => {
    expect(env.kv_namespaces?.map((kv) => kv.binding)).toEqual(["AUTH_CACHE"]);
    expect(env.kv_namespaces![0]!.id).not.toBe(config.kv_namespaces![0]!.id);
    expect(env.durable_objects?.bindings).toEqual([
      { name: "RATE_LIMITER", class_name: "RateLimiter" },
      { name: "REQUEST_COUNTER", class_name: "RequestCounter" },
    ]);
    const producer = env.queues?.producers?.find((p) => p.binding === "EVENTS");
    expect(producer?.queue).toMatch(new RegExp(`-${name}$`));
    const consumer = env.queues?.consumers?.find((c) => c.queue === producer?.queue);
    expect(consumer?.dead_letter_queue).toBe(`${producer?.queue}-dlq`);
    expect(consumer?.max_retries).toBeGreaterThan(0);
    // The dead letters have a consumer too: recorded for the queue_dead_letters alert, then acked.
    expect(env.queues?.consumers?.map((c) => c.queue)).toContain(`${producer?.queue}-dlq`);
  });

  it("runs every cron the top level runs, plus monthly billing and the events sweep", () => {
    expect(env.triggers?.crons).toEqual(expect.arrayContaining([...config.triggers!.crons, "0 0 1 * *", "* * * * *"]));
  });

  it("talks to Postgres over wss:// with RDS Proxy IAM auth (a token, not a password, pipelined) and has observability on", () => {
    expect(env.vars?.ENVIRONMENT).toBe(name);
    expect(env.vars?.DB_WS_PROXY_URL).toMatch(/^wss:\/\/[a-z0-9.-]+\/v2$/);
    expect(env.vars?.DB_IAM_AUTH_REGION).toMatch(/^[a-z]{2}-[a-z]+-\d$/);
    expect(env.vars?.DB_PIPELINE_CONNECT).toBe("password");
    // Locally (and in the tests) IAM auth is off: the role's password in the URL.
    expect(config.vars?.DB_IAM_AUTH_REGION).toBe("");
    expect(env.observability?.enabled).toBe(true);
  });

  it("fetches only public addresses (global_fetch_strictly_public) and runs the webhook SSRF guard", () => {
    expect(env.compatibility_flags).toContain("global_fetch_strictly_public");
    expect(isLocalEnvironment({ ENVIRONMENT: env.vars!.ENVIRONMENT! })).toBe(false);
  });

  it("bundles and binds everything (wrangler deploy --dry-run)", () => {
    const { status, output } = wrangler("deploy", "--dry-run", "--env", name, "--outdir", join(scratch, name));
    expect(output).toContain("--dry-run: exiting now.");
    for (const binding of [
      "env.RATE_LIMITER",
      "env.AUTH_CACHE",
      "env.EVENTS",
      "env.DB_WS_PROXY_URL",
      "env.DB_PIPELINE_CONNECT",
    ]) {
      expect(output).toContain(binding);
    }
    expect(status).toBe(0);
  });
});

describe("wrangler types and worker/env.ts", () => {
  it("declare the same bindings with compatible types; the rest of Env are exactly the secrets", async () => {
    const file = join(scratch, "worker-configuration.d.ts");
    const { status, output } = wrangler("types", "--include-runtime=false", file);
    expect(status, output).toBe(0);
    const generated = generatedInterfaces(await readFile(file, "utf8"));
    const env = workerEnvMembers();
    const kind = (type: string) =>
      /^(KVNamespace|Queue|DurableObjectNamespace)/.exec(type)?.[1] ??
      (/^"[^"]*"( \| "[^"]*")*$|^string$/.test(type) ? "string" : type);

    for (const interfaceName of ["__BaseEnv_Env", "StagingEnv", "ProductionEnv"]) {
      const bindings = generated[interfaceName];
      expect(bindings, `${interfaceName} in wrangler types output`).toBeDefined();
      for (const [binding, type] of Object.entries(bindings!)) {
        expect(env[binding], `${binding} (${interfaceName}) is missing from worker/env.ts`).toBeDefined();
        expect(kind(env[binding]!), binding).toBe(kind(type));
      }
      const notInWrangler = Object.keys(env).filter((binding) => !(binding in bindings!));
      expect(notInWrangler.sort(), interfaceName).toEqual([...workerSecrets].sort());
    }
  });
});
