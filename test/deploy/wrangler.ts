// Helpers for the deployment tests (Node): wrangler.toml parsed, the Worker's Env interface read
// with the TypeScript compiler API, and wrangler's own CLI.
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parse as parseToml } from "smol-toml";
import ts from "typescript";

export const repoRoot = join(import.meta.dirname, "../..");
export const deployedEnvironments = ["staging", "production"] as const;

/** Worker secrets: in Env, never in wrangler.toml; set with `wrangler secret put`. */
export const workerSecrets = [
  "DATABASE_URL",
  "JOBS_DATABASE_URL",
  "ANALYTICS_DATABASE_URL",
  "DB_IAM_ACCESS_KEY_ID",
  "DB_IAM_SECRET_ACCESS_KEY",
  "DB_CONTEXT_KEY",
  "DB_PROXY_TOKEN_KEY",
  "DATA_ENCRYPTION_KEY",
  "SESSION_SIGNING_KEYS",
  "SES_SECRET_ACCESS_KEY",
  "PAYMENT_WEBHOOK_SECRET",
  // Optional: the alerts' operations webhook (docs/operations.md, "Alerts").
  "OPS_WEBHOOK_URL",
  "OPS_WEBHOOK_SECRET",
];

export interface WranglerSection {
  compatibility_flags?: string[];
  name?: string;
  vars?: Record<string, string>;
  kv_namespaces?: { binding: string; id: string }[];
  durable_objects?: { bindings: { name: string; class_name: string }[] };
  queues?: {
    producers?: { binding: string; queue: string }[];
    consumers?: { queue: string; dead_letter_queue?: string; max_retries?: number }[];
  };
  triggers?: { crons: string[] };
  observability?: { enabled: boolean };
}

export function wranglerConfig(): WranglerSection & { env: Record<string, WranglerSection> } {
  return parseToml(readFileSync(join(repoRoot, "wrangler.toml"), "utf8")) as unknown as WranglerSection & {
    env: Record<string, WranglerSection>;
  };
}

/** Members of `interface Env` in worker/env.ts: name => type text. */
export function workerEnvMembers(): Record<string, string> {
  const file = join(repoRoot, "worker/env.ts");
  const source = ts.createSourceFile(file, readFileSync(file, "utf8"), ts.ScriptTarget.ES2022, true);
  const members: Record<string, string> = {};
  source.forEachChild((node) => {
    if (ts.isInterfaceDeclaration(node) && node.name.text === "Env") {
      for (const member of node.members) {
        if (ts.isPropertySignature(member) && member.type)
          members[member.name.getText(source)] = member.type.getText(source);
      }
    }
  });
  return members;
}

export function wrangler(...args: string[]) {
  const result = spawnSync(process.execPath, [join(repoRoot, "node_modules/wrangler/bin/wrangler.js"), ...args], {
    cwd: repoRoot,
    encoding: "utf8",
    env: { ...process.env, WRANGLER_SEND_METRICS: "false", CLOUDFLARE_CF_FETCH_ENABLED: "false", NO_COLOR: "1" },
    timeout: 120_000,
  });
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}

/** `interface <name> { A: T; … }` blocks of a `wrangler types` file: name => member => type. */
export function generatedInterfaces(text: string): Record<string, Record<string, string>> {
  const interfaces: Record<string, Record<string, string>> = {};
  for (const match of text.matchAll(/interface (\w+) \{\n([^}]*)\}/g)) {
    interfaces[match[1]!] = Object.fromEntries(
      [...match[2]!.matchAll(/^\s*(\w+): (.+);$/gm)].map((member) => [member[1]!, member[2]!]),
    );
  }
  return interfaces;
}
