// Where each Worker runs (docs/architecture.md, "Where each part runs"): the data Worker is placed
// in the AWS region of its environment's database — Terraform's region is the one source of truth
// — and the edge front (wrangler.edge.toml) takes the API's domain and reaches the data Worker
// over a service binding. Offline: parsed files and `wrangler deploy --dry-run`.
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parse as parseToml } from "smol-toml";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { deployedEnvironments, repoRoot, wrangler, wranglerConfig } from "./wrangler.ts";

const { parse: parseHcl } = createRequire(import.meta.url)("@cdktf/hcl2json") as {
  parse: (filename: string, contents: string) => Promise<Record<string, unknown>>;
};

interface Section {
  name?: string;
  workers_dev?: boolean;
  routes?: { pattern: string; custom_domain?: boolean }[];
  placement?: { region?: string; mode?: string };
  vars?: Record<string, string>;
  kv_namespaces?: { binding: string; id: string }[];
  services?: { binding: string; service: string }[];
  assets?: { directory: string; binding?: string };
}
type Config = Section & { env: Record<string, Section> };

const data = wranglerConfig() as unknown as Config;
const edge = parseToml(await readFile(join(repoRoot, "wrangler.edge.toml"), "utf8")) as unknown as Config;
const terraformDir = { staging: "staging", production: "prod" } as const;

/** The AWS region Terraform deploys the environment's data tier to: its tfvars, else the variable's default. */
async function terraformRegion(dir: string): Promise<string> {
  const path = join(repoRoot, "terraform/environments", dir);
  const tfvars = await parseHcl("terraform.tfvars", await readFile(join(path, "terraform.tfvars.example"), "utf8"));
  const variables = (await parseHcl("variables.tf", await readFile(join(path, "variables.tf"), "utf8"))) as {
    variable: Record<string, { default?: string }[]>;
  };
  return (tfvars.region as string | undefined) ?? variables.variable.region![0]!.default!;
}

let scratch: string;
beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), "securebase-placement-"));
});
afterAll(async () => {
  await rm(scratch, { recursive: true, force: true });
});

describe("local development", () => {
  it("places nothing: the top level of wrangler.toml runs where wrangler runs", () => {
    expect(data.placement).toBeUndefined();
  });
});

describe.each(deployedEnvironments)("[env.%s]", (name) => {
  const dataEnv = data.env[name]!;
  const edgeEnv = edge.env[name]!;

  it("places the data Worker in the AWS region Terraform puts the database in", async () => {
    const region = await terraformRegion(terraformDir[name]);
    expect(region).toMatch(/^[a-z]{2}-[a-z]+-\d$/);
    expect(dataEnv.placement).toEqual({ region: `aws:${region}` });
    // RDS Proxy IAM tokens are signed for the same region.
    expect(dataEnv.vars?.DB_IAM_AUTH_REGION).toBe(region);
  });

  it("gives the API's domain to the edge front only; the data Worker is reachable only by its service binding", () => {
    expect(dataEnv.routes ?? []).toEqual([]);
    expect(dataEnv.workers_dev).toBe(false);
    expect(edgeEnv.workers_dev).toBe(false);
    expect(edgeEnv.routes).toEqual([{ pattern: new URL(dataEnv.vars!.PUBLIC_API_URL!).host, custom_domain: true }]);
    expect(edgeEnv.placement).toBeUndefined();
  });

  it("binds the front to this environment's data Worker and KV namespace", () => {
    expect(edgeEnv.services).toEqual([{ binding: "DATA", service: dataEnv.name }]);
    expect(edgeEnv.kv_namespaces).toEqual(dataEnv.kv_namespaces);
    expect(edgeEnv.vars?.ENVIRONMENT).toBe(name);
    expect(edge.assets).toEqual(data.assets as Section["assets"]);
  });

  it("bundles the edge front (wrangler deploy --dry-run -c wrangler.edge.toml)", () => {
    const { status, output } = wrangler(
      "deploy",
      "--dry-run",
      "-c",
      "wrangler.edge.toml",
      "--env",
      name,
      "--outdir",
      join(scratch, name),
    );
    expect(output).toContain("--dry-run: exiting now.");
    for (const binding of ["env.DATA", "env.AUTH_CACHE", "env.ASSETS"]) expect(output).toContain(binding);
    expect(status, output).toBe(0);
  });
});
