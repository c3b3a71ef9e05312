// Policy tests on the parsed Terraform (no AWS, no scanner needed): every rule holds for every
// environment, and a deliberately broken copy of the configuration makes the matching rule fail.
import { cp, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { instances, loadTerraform, type TerraformConfig } from "./hcl.ts";
import { policies } from "./policies.ts";

const root = join(import.meta.dirname, "../../terraform");
let config: TerraformConfig;

beforeAll(async () => {
  config = await loadTerraform(root);
});

describe("terraform policies (checkov/tfsec rules mirrored on parsed HCL)", () => {
  it.each(policies.map((policy) => [`${policy.id}: ${policy.title}`, policy] as const))("%s", (_name, policy) => {
    expect(policy.check(config)).toEqual([]);
  });

  it("every policy inspects resources that exist in all three environments", () => {
    const idle = policies
      .filter((policy) => policy.types)
      .flatMap((policy) =>
        ["dev", "staging", "prod"]
          .filter((env) => instances(config, ...policy.types!).every((r) => r.env !== env))
          .map((env) => `${policy.id} sees nothing in ${env}`),
      );
    expect(idle).toEqual([]);
  });

  it("composes every module in every environment, and prod differs where it must", () => {
    for (const env of Object.values(config.environments)) {
      expect(new Set(env.calls.map((call) => call.module))).toEqual(new Set(Object.keys(config.modules)));
    }
    const prodCluster = instances(config, "aws_rds_cluster").find((r) => r.env === "prod")!;
    expect(prodCluster.get("backup_retention_period")).toBe(35);
    expect(prodCluster.get("deletion_protection")).toBe(true);
    expect(prodCluster.get("skip_final_snapshot")).toBe(false);
    expect(instances(config, "aws_rds_cluster_instance").find((r) => r.env === "prod")!.module.text).toContain("count");
  });

  it("pins the AWS provider to ~> 5.100 in every environment", () => {
    for (const env of Object.values(config.environments)) expect(env.text).toMatch(/version\s*=\s*"~> 5\.100"/);
  });
});

describe("a broken copy of the configuration fails the matching policy", () => {
  let brokenRoot: string;
  beforeAll(async () => {
    brokenRoot = await mkdtemp(join(tmpdir(), "securebase-tf-broken-"));
  });
  afterAll(async () => {
    await rm(brokenRoot, { recursive: true, force: true });
  });

  const sabotage = [
    {
      policy: "CKV_AWS_96",
      file: "modules/database/main.tf",
      from: "storage_encrypted                   = true",
      to: "storage_encrypted                   = false",
    },
    {
      policy: "RDS_PROXY_TLS",
      file: "modules/db-proxy/main.tf",
      from: "require_tls            = true",
      to: "require_tls            = false",
    },
    {
      policy: "SB_PROD_BACKUPS_35",
      file: "environments/prod/settings.tf",
      from: "backup_retention_days        = 35",
      to: "backup_retention_days        = 7",
    },
    {
      policy: "CKV_AWS_139",
      file: "environments/shared/stack.tf",
      from: "deletion_protection         = true",
      to: "deletion_protection         = false",
    },
    {
      policy: "CKV_AWS_7",
      file: "modules/kms-key/main.tf",
      from: "enable_key_rotation     = true",
      to: "enable_key_rotation     = false",
    },
    {
      policy: "CKV_AWS_17",
      file: "modules/database/main.tf",
      from: "publicly_accessible                   = false",
      to: "publicly_accessible                   = true",
    },
    {
      policy: "SB_DB_NO_INTERNET_PATH",
      file: "modules/database/main.tf",
      from: "referenced_security_group_id = var.client_security_group_id",
      to: 'cidr_ipv4                    = "0.0.0.0/0"',
    },
    {
      policy: "CKV_AWS_62",
      file: "modules/db-proxy/main.tf",
      from: 'Action   = ["secretsmanager:GetSecretValue"]',
      to: 'Action   = ["secretsmanager:*"]',
    },
    {
      policy: "SB_PROXY_IAM_AUTH",
      file: "modules/db-proxy/main.tf",
      from: 'iam_auth    = "REQUIRED"',
      to: 'iam_auth    = "DISABLED"',
    },
    {
      policy: "SB_PROXY_IAM_AUTH",
      file: "modules/db-proxy/variables.tf",
      from: 'analytics = "sb_analytics"',
      to: 'analytics = "sb_analytics"\n    owner     = "sb_owner"',
    },
    {
      policy: "SB_PROXY_AUTH",
      file: "modules/db-proxy/main.tf",
      from: 'auth_scheme = "SECRETS"',
      to: 'auth_scheme = "NONE"',
    },
    {
      policy: "SB_PROXY_NO_OWNER_LOGIN",
      file: "environments/shared/stack.tf",
      from: "login_role_secret_arns = module.secrets.login_role_secret_arns",
      to: "login_role_secret_arns = merge(module.secrets.login_role_secret_arns, { master = module.database.master_user_secret_arn })",
    },
    {
      policy: "SB_PROXY_NO_OWNER_LOGIN",
      file: "modules/db-proxy/main.tf",
      from: "  # The Worker's roles: IAM auth token only, never a password.",
      to: '  dynamic "auth" {\n    for_each = var.login_role_secret_arns\n    content {\n      auth_scheme = "SECRETS"\n      secret_arn  = auth.value\n      iam_auth    = "DISABLED"\n    }\n  }\n',
    },
    {
      policy: "SB_PROXY_NO_OWNER_LOGIN",
      file: "modules/db-proxy/main.tf",
      from: "Resource = values(local.worker_login_secret_arns)",
      to: "Resource = values(var.login_role_secret_arns)",
    },
    {
      policy: "SB_WORKER_DB_CONNECT_ONLY",
      file: "modules/db-proxy/main.tf",
      from: 'Action   = ["rds-db:connect"]',
      to: 'Action   = ["rds-db:connect", "rds:DescribeDBProxies"]',
    },
    {
      policy: "SB_WORKER_DB_CONNECT_ONLY",
      file: "modules/db-proxy/main.tf",
      from: "dbuser:${local.proxy_resource_id}/${user}",
      to: "dbuser:*/${user}",
    },
    {
      policy: "SB_WORKER_DB_CONNECT_ONLY",
      file: "modules/db-proxy/main.tf",
      from: 'resource "aws_iam_group" "worker_db_connect" {',
      to: 'resource "aws_iam_access_key" "worker" {\n  user = aws_iam_user.worker.name\n}\n\nresource "aws_iam_group" "worker_db_connect" {',
    },
    {
      policy: "CKV2_AWS_57",
      file: "modules/secrets/main.tf",
      from: "#checkov:skip=CKV2_AWS_57:Each password",
      to: "#Each password",
    },
    {
      policy: "CKV_AWS_336",
      file: "modules/ws-proxy/main.tf",
      from: "readonlyRootFilesystem = true",
      to: "readonlyRootFilesystem = false",
    },
    {
      policy: "CKV_AWS_103",
      file: "modules/ws-proxy/main.tf",
      from: '"ELBSecurityPolicy-TLS13-1-2-2021-06"',
      to: '"ELBSecurityPolicy-2016-08"',
    },
    {
      policy: "CKV2_AWS_69",
      file: "modules/database/main.tf",
      from: 'name  = "rds.force_ssl"\n    value = "1"',
      to: 'name  = "rds.force_ssl"\n    value = "0"',
    },
    {
      policy: "SB_SES_SENDER_SEND_ONLY",
      file: "modules/email/main.tf",
      from: 'Action   = ["ses:SendEmail"]',
      to: 'Action   = ["ses:SendEmail", "ses:PutAccountDetails"]',
    },
    {
      policy: "CKV_AWS_26",
      file: "modules/email/main.tf",
      from: "  kms_master_key_id = var.kms_key_arn\n",
      to: "",
    },
  ];

  it.each(sabotage)("$policy fails when $file is broken", async ({ policy, file, from, to }) => {
    const copy = await mkdtemp(join(brokenRoot, `${policy}-`));
    // verbatimSymlinks: the environments' links to ../shared must point into the copy.
    await cp(root, copy, {
      recursive: true,
      verbatimSymlinks: true,
      filter: (source) => !source.includes(".terraform"),
    });
    const original = await readFile(join(copy, file), "utf8");
    expect(original).toContain(from); // the sabotage really changes something
    await writeFile(join(copy, file), original.replace(from, to));

    const broken = await loadTerraform(copy);
    const rule = policies.find((p) => p.id === policy)!;
    expect(rule.check(config)).toEqual([]);
    expect(rule.check(broken).length).toBeGreaterThan(0);
  });
});
