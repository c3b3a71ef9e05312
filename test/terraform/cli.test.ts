// The terraform CLI checks: fmt, and init (offline, from the provider mirror in $TF_PLUGIN_DIR)
// plus validate for each environment. They run on a copy, so nothing is written into terraform/.
// Where the CLI or the mirror is missing (CI machines: Node and npm only) they are reported as
// skipped, never as passed.
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { cp, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { environmentNames } from "./hcl.ts";

const root = join(import.meta.dirname, "../../terraform");
const pluginDir = process.env.TF_PLUGIN_DIR;
const hasTerraform = spawnSync("terraform", ["version"], { stdio: "ignore" }).status === 0;
const hasMirror = Boolean(pluginDir && existsSync(join(pluginDir, "registry.terraform.io", "hashicorp", "aws")));

if (!hasTerraform) console.warn("terraform CLI checks skipped: no `terraform` on PATH");
else if (!hasMirror)
  console.warn(
    "terraform init/validate skipped: set TF_PLUGIN_DIR to an offline provider mirror holding hashicorp/aws 5.100",
  );

function terraform(cwd: string, ...args: string[]) {
  const result = spawnSync("terraform", args, {
    cwd,
    encoding: "utf8",
    env: {
      ...process.env,
      TF_IN_AUTOMATION: "1",
      TF_INPUT: "0",
      CHECKPOINT_DISABLE: "1",
      TF_CLI_CONFIG_FILE: "/dev/null",
    },
    timeout: 120_000,
  });
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}

describe.skipIf(!hasTerraform)("terraform fmt", () => {
  it("terraform fmt -check -recursive finds nothing to reformat", () => {
    const { status, output } = terraform(root, "fmt", "-check", "-recursive", "-no-color");
    expect(output).toBe("");
    expect(status).toBe(0);
  });
});

describe.skipIf(!hasTerraform || !hasMirror)("terraform init + validate (offline)", () => {
  let copy: string;
  beforeAll(async () => {
    copy = await mkdtemp(join(tmpdir(), "securebase-tf-"));
    // verbatimSymlinks: the environments' links to ../shared must point into the copy.
    await cp(root, copy, {
      recursive: true,
      verbatimSymlinks: true,
      filter: (source) => !source.includes(".terraform"),
    });
  });
  afterAll(async () => {
    await rm(copy, { recursive: true, force: true });
  });

  it.each(environmentNames)("environments/%s initialises and validates", (env) => {
    const dir = join(copy, "environments", env);
    const init = terraform(dir, "init", "-backend=false", `-plugin-dir=${pluginDir}`, "-no-color");
    expect(init.output).toContain("Terraform has been successfully initialized");
    const validate = terraform(dir, "validate", "-no-color");
    expect(validate.output).toContain("Success! The configuration is valid.");
    expect(validate.output).not.toMatch(/Warning:/);
    expect(validate.status).toBe(0);
  });
});
