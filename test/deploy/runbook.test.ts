// docs/deploy.md's commands must match the files they drive: npm scripts, Terraform outputs and
// -target addresses, Secrets Manager ids, wrangler environments and secrets, env variables of
// the scripts, and the paths it names. A renamed output or script fails here, not during a deploy.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { loadTerraform, type TerraformConfig } from "../terraform/hcl.ts";
import { deployedEnvironments, repoRoot, workerSecrets, wranglerConfig } from "./wrangler.ts";

const runbook = readFileSync(join(repoRoot, "docs/deploy.md"), "utf8");
const code =
  [...runbook.matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => m[1]!).join("\n") +
  "\n" +
  [...runbook.matchAll(/`([^`\n]+)`/g)].map((m) => m[1]!).join("\n");
let terraform: TerraformConfig;

beforeAll(async () => {
  terraform = await loadTerraform(join(repoRoot, "terraform"));
});

const unique = (values: string[]) => [...new Set(values)];

describe("docs/deploy.md matches the repository", () => {
  it("every npm script it runs exists", () => {
    const scripts = Object.keys(
      JSON.parse(readFileSync(join(repoRoot, "package.json"), "utf8")).scripts as Record<string, string>,
    );
    const used = unique([...code.matchAll(/npm run ([\w:-]+)/g)].map((m) => m[1]!));
    expect(used).toEqual(expect.arrayContaining(["db:migrate", "db:create-staff"]));
    expect(used.filter((script) => !scripts.includes(script))).toEqual([]);
  });

  it("every terraform output it reads exists in every environment", () => {
    const used = unique([...code.matchAll(/\$TF output (?:-raw |-json )?([a-z_]+)/g)].map((m) => m[1]!));
    expect(used.length).toBeGreaterThan(5);
    for (const env of Object.values(terraform.environments)) {
      const missing = used.filter((output) => !new RegExp(`output "${output}"`).test(env.text));
      expect(missing, env.dir).toEqual([]);
    }
  });

  it("every -target address names a module call and a resource that exist", () => {
    const targets = unique(
      [...code.matchAll(/-target=module\.([a-z_]+)(?:\.([a-z_]+)\.([a-z_]+))?/g)].map((m) =>
        m.slice(1).filter(Boolean).join("."),
      ),
    );
    expect(targets.length).toBeGreaterThan(0);
    for (const target of targets) {
      const [call, type, name] = target.split(".");
      for (const env of Object.values(terraform.environments)) {
        const module = env.calls.find((c) => c.name === call);
        expect(module, `module.${call} in ${env.dir}`).toBeDefined();
        if (type) expect(terraform.modules[module!.module]!.resources[type]?.[name!], target).toBeDefined();
      }
    }
  });

  it("the Secrets Manager ids it uses are the ones the secrets module creates", () => {
    const secretsModule = terraform.modules.secrets!;
    const loginRoles = Object.keys(secretsModule.variables.login_roles!.default as Record<string, string>);
    const appKeys = Object.keys(secretsModule.variables.app_keys!.default as Record<string, string>);
    const dbIds = unique([...code.matchAll(/\$NAME\/db\/([a-z]+)/g)].map((m) => m[1]!));
    const workerIds = unique([...code.matchAll(/\$NAME\/worker\/([a-z-]+)/g)].map((m) => m[1]!));
    expect(dbIds.filter((id) => !loginRoles.includes(id))).toEqual([]);
    expect(workerIds.sort()).toEqual([...appKeys].sort());
    // The loop in step 3 writes every login role's secret.
    for (const [key, role] of Object.entries(secretsModule.variables.login_roles!.default as Record<string, string>)) {
      expect(runbook).toContain(`${key}:${role}`);
    }
    expect(secretsModule.text).toContain('name                    = "${var.name}/db/${each.key}"');
    expect(secretsModule.text).toContain('name                    = "${var.name}/worker/${each.key}"');
  });

  it("puts every Worker secret, and only those, and deploys environments wrangler.toml defines", () => {
    const put = unique([...code.matchAll(/wrangler secret put ([A-Z_]+)/g)].map((m) => m[1]!));
    expect(put.sort()).toEqual([...workerSecrets].sort());
    expect(Object.keys(wranglerConfig().env).sort()).toEqual([...deployedEnvironments].sort());
    expect(runbook).toContain("npx wrangler deploy --env $WENV");
    expect(runbook).toMatch(/WENV=production\s/);
  });

  it("passes the scripts only variables they read", () => {
    const migrate = readFileSync(join(repoRoot, "scripts/migrate.ts"), "utf8");
    const staff = readFileSync(join(repoRoot, "scripts/create-staff.ts"), "utf8");
    for (const variable of [
      "MASTER_DATABASE_URL",
      "SB_API_PASSWORD",
      "SB_JOBS_PASSWORD",
      "SB_ANALYTICS_PASSWORD",
      "DB_CONTEXT_KEY",
      "DB_CONTEXT_KEY_RETIRE",
    ]) {
      expect(runbook).toContain(variable);
      expect(migrate).toContain(variable);
    }
    expect(staff).toContain("STAFF_EMAIL");
  });

  it("names files that exist", () => {
    const paths = unique(
      [...runbook.matchAll(/(?<![\w$/])((?:services|terraform|docs|scripts|worker)\/[\w./-]*\w)(?![\w/$])/g)].map(
        (m) => m[1]!,
      ),
    );
    expect(paths).toContain("services/ws-proxy/Dockerfile");
    expect(paths.length).toBeGreaterThan(1);
    expect(paths.filter((path) => !existsSync(join(repoRoot, path)))).toEqual([]);
    for (const env of ["dev", "staging", "prod"]) {
      for (const file of ["backend.hcl.example", "terraform.tfvars.example"])
        expect(existsSync(join(repoRoot, "terraform/environments", env, file))).toBe(true);
    }
  });

  it("writes every Worker key to Secrets Manager before a step reads it (the SES key included)", () => {
    const read = unique([...runbook.matchAll(/secret "\$NAME\/worker\/([a-z-]+)"/g)].map((m) => m[1]!));
    expect(read).toContain("ses-secret-access-key");
    for (const id of read) {
      const written = runbook.indexOf(`put-secret-value --secret-id "$NAME/worker/${id}"`);
      expect(written, `${id} is never written`).toBeGreaterThan(0);
      expect(written, `${id} is read before it is written`).toBeLessThan(
        runbook.indexOf(`secret "$NAME/worker/${id}"`),
      );
    }
    // The SES access key comes from the sender user Terraform creates, never from Terraform state.
    expect(runbook).toContain('aws iam create-access-key --user-name "$($TF output -raw ses_sender_user_name)"');
    expect(terraform.modules.email!.resources.aws_iam_access_key).toBeUndefined();
  });

  it("restores into a new cluster with an instance, and hands Terraform the resources it manages", () => {
    const restore = runbook.slice(runbook.indexOf("## Restore"), runbook.indexOf("## Rotations"));
    expect(restore).toContain("aws rds restore-db-cluster-to-point-in-time");
    expect(restore).toContain("aws rds create-db-instance --db-cluster-identifier $NEW");
    expect(restore).toContain("npm run drill:restore");
    // The names it assumes are the ones the modules give.
    expect(restore).toContain("OLD=$NAME-aurora\n");
    expect(terraform.modules.database!.text).toContain('identifier = "${var.name}-aurora"');
    expect(terraform.modules.database!.text).toContain(
      'identifier                            = "${local.identifier}-${count.index + 1}"',
    );
    expect(restore).toContain("--db-proxy-name $NAME-rds-proxy");
    expect(terraform.modules["db-proxy"]!.text).toMatch(
      /resource "aws_db_proxy" "this" \{\n\s*name\s*=\s*"\$\{var\.name\}-rds-proxy"/,
    );
    // Every state address it removes is imported again, and names a resource of a module call.
    const removed = [...restore.matchAll(/\$TF state rm ([^\n]+)/g)].flatMap((m) => m[1]!.split(" "));
    const imported = [...restore.matchAll(/\$TF import (\S+)/g)].map((m) => m[1]!);
    expect(removed.length).toBeGreaterThan(0);
    expect(imported.sort()).toEqual(removed.sort());
    for (const address of imported) {
      const [, call, type, name] = /^'?module\.([a-z_]+)\.([a-z_]+)\.([a-z_]+)/.exec(address)!;
      for (const env of Object.values(terraform.environments)) {
        const module = env.calls.find((c) => c.name === call);
        expect(module, `module.${call} in ${env.dir}`).toBeDefined();
        expect(terraform.modules[module!.module]!.resources[type!]?.[name!], address).toBeDefined();
      }
    }
  });

  it("the Terraform README states no migration count that has gone stale", () => {
    const readme = readFileSync(join(repoRoot, "terraform/README.md"), "utf8");
    const count = readdirSync(join(repoRoot, "db/migrations")).filter((f) => f.endsWith(".sql")).length;
    for (const m of readme.matchAll(/(\d+)\s+(?:at the time|migrations)/g)) expect(Number(m[1]), m[0]).toBe(count);
    expect(readme).not.toMatch(/all \d+\s*\n?\s*at the time/);
  });
});
