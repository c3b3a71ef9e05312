// Policy checks on the parsed Terraform, each named after the checkov (CKV_*) or AWS Config rule
// it mirrors, so a reviewer with checkov can map its findings to ours. A policy returns its
// violations ("address: what is wrong"); an empty list passes. SecureBase-specific rules (prod
// backups, no path from the Internet to the database, …) are named `SB_*`.
import { blockText, instances, type Instance, type TerraformConfig } from "./hcl.ts";

export interface Policy {
  id: string;
  title: string;
  /** Resource types the policy inspects (a test requires the configuration to have some). */
  types?: string[];
  check: (config: TerraformConfig) => string[];
}

type Rule = (resource: Instance) => string | undefined;

/** A policy over resources of some types: `rule` names the problem, or returns undefined. */
function each(id: string, title: string, types: string[], rule: Rule): Policy {
  return {
    id,
    title,
    types,
    check: (config) =>
      instances(config, ...types).flatMap((resource) => {
        const problem = rule(resource);
        return problem ? [`${resource.address}: ${problem}`] : [];
      }),
  };
}

const is =
  (expected: unknown, attribute: string): Rule =>
  (r) =>
    r.get(attribute) === expected
      ? undefined
      : `${attribute} must be ${JSON.stringify(expected)} (is ${JSON.stringify(r.get(attribute))})`;
const present =
  (attribute: string): Rule =>
  (r) => {
    const value = r.get(attribute);
    return value === undefined || value === null || value === "" ? `${attribute} must be set` : undefined;
  };
/** A deliberate exception must carry checkov's inline skip with a reason. */
const skippedWithReason =
  (id: string): Rule =>
  (r) =>
    (r.skips[id]?.length ?? 0) >= 20
      ? undefined
      : `${id} is neither satisfied nor skipped with a reason (#checkov:skip=${id}:<why>)`;

const OPEN_CIDRS = new Set(["0.0.0.0/0", "::/0"]);
const ingressRules = ["aws_vpc_security_group_ingress_rule", "aws_security_group_rule"];

/** Action lists and their Resource in jsonencode() policy text (statement by statement). */
function statements(text: string, locals: string): { actions: string[]; resource: string }[] {
  const listOf = (expr: string): string[] => {
    const local = /^local\.(\w+)$/.exec(expr.trim());
    if (local) {
      const match = new RegExp(`\\b${local[1]}\\s*=\\s*\\[([^\\]]*)\\]`).exec(locals);
      return match ? [...match[1]!.matchAll(/"([^"]+)"/g)].map((m) => m[1]!) : [`<unresolved ${expr}>`];
    }
    return [...expr.matchAll(/"([^"]+)"/g)].map((m) => m[1]!);
  };
  const found: { actions: string[]; resource: string }[] = [];
  for (const match of text.matchAll(/Action\s*=\s*(\[[^\]]*\]|"[^"]*"|local\.\w+)\s*\n\s*Resource\s*=\s*([^\n]+)/g)) {
    found.push({ actions: listOf(match[1]!), resource: match[2]!.trim() });
  }
  return found;
}

/** Actions that have no resource-level permissions, so "*" is their only possible Resource. */
const RESOURCELESS_ACTIONS = new Set(["ecr:GetAuthorizationToken"]);
const policyCarriers = [
  "aws_iam_role_policy",
  "aws_iam_group_policy",
  "aws_iam_policy",
  "aws_kms_key",
  "aws_sns_topic_policy",
  "aws_iam_role",
];

/** The Worker's database users as the db-proxy module declares them (login key => Postgres user). */
const WORKER_DB_USERS = { api: "sb_api", jobs: "sb_jobs", analytics: "sb_analytics" };

/** `dynamic "auth"` blocks of an aws_db_proxy: their for_each and body text. */
function authBlocks(text: string): { forEach: string; body: string }[] {
  return text
    .split(/dynamic\s+"auth"\s*\{/)
    .slice(1)
    .map((chunk) => ({
      forEach: /for_each\s*=\s*(\S+)/.exec(chunk)?.[1] ?? "",
      body: chunk.slice(0, chunk.search(/\n {2}\}/)),
    }));
}

/** Local `name = { for … if … }` expression text in a module. */
const localText = (module: { text: string }, name: string) =>
  new RegExp(`\\b${name}\\s*=\\s*([^\\n]+)`).exec(module.text)?.[1] ?? "";

/** The Worker's logins, and only they, require IAM auth on the proxy. */
const workerLoginsUseIam: Rule = (r) => {
  const sorted = (users: unknown) => JSON.stringify(Object.entries((users ?? {}) as Record<string, string>).sort());
  const users = r.module.variables.worker_db_users?.default;
  if (sorted(users) !== sorted(WORKER_DB_USERS))
    return `worker_db_users must be ${JSON.stringify(WORKER_DB_USERS)} (is ${JSON.stringify(users)})`;
  const blocks = authBlocks(r.text);
  const iam = blocks.filter((block) => /iam_auth\s*=\s*"REQUIRED"/.test(block.body));
  if (iam.length !== 1 || iam[0]!.forEach !== "local.worker_login_secret_arns")
    return 'the auth block over local.worker_login_secret_arns must set iam_auth = "REQUIRED"';
  if (!/ if contains\(keys\(var\.worker_db_users\), key\) \}$/.test(localText(r.module, "worker_login_secret_arns")))
    return "worker_login_secret_arns must select the worker_db_users logins";
  return undefined;
};

/**
 * Only the Worker's logins are on the RDS Proxy (docs/security.md, "WebSocket proxy"): the
 * proxy's auth list and the secrets it may read are worker_login_secret_arns, and no environment
 * hands the module the RDS master's secret. The owner and master log in to Aurora directly.
 */
const noOwnerOrMasterOnProxy: Rule = (r) => {
  const blocks = authBlocks(r.text);
  const other = blocks.find((block) => block.forEach !== "local.worker_login_secret_arns");
  if (other) return `auth over ${other.forEach}: only the Worker's logins may be on the proxy`;
  if (/\bauth\s*\{/.test(r.text.replace(/dynamic\s+"auth"\s*\{/g, "")))
    return "a static auth block: only the Worker's logins may be on the proxy";
  if (!/Resource\s*=\s*values\(local\.worker_login_secret_arns\)/.test(r.module.text))
    return "the proxy role may read only the Worker's login secrets";
  return undefined;
};

export const policies: Policy[] = [
  // --- aws_rds_cluster --------------------------------------------------------------------
  each("CKV_AWS_96", "Aurora cluster storage is encrypted at rest", ["aws_rds_cluster"], is(true, "storage_encrypted")),
  each(
    "CKV_AWS_327",
    "Aurora cluster is encrypted with a customer-managed KMS key",
    ["aws_rds_cluster"],
    present("kms_key_id"),
  ),
  each(
    "CKV_AWS_162",
    "Aurora cluster has IAM database authentication enabled",
    ["aws_rds_cluster"],
    is(true, "iam_database_authentication_enabled"),
  ),
  each(
    "CKV_AWS_128",
    "RDS cluster has IAM authentication enabled (same key, older check)",
    ["aws_rds_cluster"],
    is(true, "iam_database_authentication_enabled"),
  ),
  each("CKV_AWS_139", "Aurora cluster has deletion protection", ["aws_rds_cluster"], is(true, "deletion_protection")),
  each("CKV_AWS_133", "Aurora cluster keeps automated backups", ["aws_rds_cluster"], (r) =>
    Number(r.get("backup_retention_period")) >= 1 ? undefined : "backup_retention_period must be at least 1",
  ),
  each("SB_PROD_BACKUPS_35", "prod keeps 35 days of backups", ["aws_rds_cluster"], (r) =>
    r.env !== "prod" || Number(r.get("backup_retention_period")) >= 35
      ? undefined
      : `backup_retention_period is ${String(r.get("backup_retention_period"))}, prod needs 35`,
  ),
  each("SB_FINAL_SNAPSHOT", "staging and prod take a final snapshot before deletion", ["aws_rds_cluster"], (r) =>
    r.env === "dev" || r.get("skip_final_snapshot") === false
      ? undefined
      : "skip_final_snapshot must be false outside dev",
  ),
  each("CKV_AWS_324", "Aurora cluster exports its Postgres log", ["aws_rds_cluster"], (r) => {
    const exports = r.get("enabled_cloudwatch_logs_exports");
    return Array.isArray(exports) && exports.includes("postgresql")
      ? undefined
      : "enabled_cloudwatch_logs_exports must include postgresql";
  }),
  each(
    "CKV_AWS_313",
    "Aurora cluster copies tags to snapshots",
    ["aws_rds_cluster"],
    is(true, "copy_tags_to_snapshot"),
  ),
  each(
    "CKV2_AWS_8",
    "Aurora cluster is in an AWS Backup plan (or says why not)",
    ["aws_rds_cluster"],
    skippedWithReason("CKV2_AWS_8"),
  ),
  each(
    "CKV_AWS_326",
    "Aurora backtracking (MySQL only: skipped with a reason)",
    ["aws_rds_cluster"],
    skippedWithReason("CKV_AWS_326"),
  ),
  each("SB_SERVERLESS_V2", "Aurora PostgreSQL Serverless v2 between 0.5 and 4 ACU", ["aws_rds_cluster"], (r) => {
    const min = Number(r.get("serverlessv2_scaling_configuration.min_capacity"));
    const max = Number(r.get("serverlessv2_scaling_configuration.max_capacity"));
    if (r.get("engine") !== "aurora-postgresql") return "engine must be aurora-postgresql";
    return min >= 0.5 && max <= 4 && min <= max ? undefined : `capacity ${min}–${max} ACU is outside 0.5–4`;
  }),
  each(
    "CKV2_AWS_27",
    "Postgres cluster parameter group logs statements (log_statement, log_min_duration_statement)",
    ["aws_rds_cluster_parameter_group"],
    (r) => {
      const names = ((r.body.parameter as { name: string }[] | undefined) ?? []).map((p) => p.name);
      return names.includes("log_statement") && names.includes("log_min_duration_statement")
        ? undefined
        : "log_statement and log_min_duration_statement must be set";
    },
  ),
  each("CKV2_AWS_69", "Postgres requires TLS (rds.force_ssl = 1)", ["aws_rds_cluster_parameter_group"], (r) => {
    const force = ((r.body.parameter as { name: string; value: string }[] | undefined) ?? []).find(
      (p) => p.name === "rds.force_ssl",
    );
    return force?.value === "1" ? undefined : "parameter rds.force_ssl must be 1";
  }),

  // --- aws_rds_cluster_instance -----------------------------------------------------------
  each(
    "CKV_AWS_17",
    "Database instances are not publicly accessible",
    ["aws_rds_cluster_instance"],
    is(false, "publicly_accessible"),
  ),
  each(
    "CKV_AWS_353",
    "Database instances have Performance Insights",
    ["aws_rds_cluster_instance"],
    is(true, "performance_insights_enabled"),
  ),
  each(
    "CKV_AWS_354",
    "Performance Insights is encrypted with a customer-managed key",
    ["aws_rds_cluster_instance"],
    present("performance_insights_kms_key_id"),
  ),
  each("CKV_AWS_118", "Database instances have Enhanced Monitoring", ["aws_rds_cluster_instance"], (r) =>
    Number(r.get("monitoring_interval")) > 0 ? undefined : "monitoring_interval must be > 0",
  ),
  each(
    "CKV_AWS_226",
    "Database instances get minor version upgrades",
    ["aws_rds_cluster_instance"],
    is(true, "auto_minor_version_upgrade"),
  ),
  each("CKV_AWS_211", "Database instances use a current CA", ["aws_rds_cluster_instance"], (r) =>
    /^rds-ca-(rsa2048|rsa4096|ecc384)-g1$/.test(String(r.get("ca_cert_identifier")))
      ? undefined
      : "ca_cert_identifier must be a current RDS CA",
  ),
  each(
    "CKV2_AWS_60",
    "Database instances copy tags to snapshots",
    ["aws_rds_cluster_instance"],
    is(true, "copy_tags_to_snapshot"),
  ),

  // --- aws_db_proxy -----------------------------------------------------------------------
  each(
    "RDS_PROXY_TLS",
    "RDS Proxy requires TLS (AWS Config rds-proxy-tls-encryption)",
    ["aws_db_proxy"],
    is(true, "require_tls"),
  ),
  each(
    "SB_PROXY_AUTH",
    "RDS Proxy reaches each login role through Secrets Manager; password logins use SCRAM",
    ["aws_db_proxy"],
    (r) => {
      const blocks = authBlocks(r.text);
      if (blocks.length === 0) return "no auth blocks";
      for (const block of blocks) {
        if (!/auth_scheme\s*=\s*"SECRETS"/.test(block.body)) return `auth over ${block.forEach} must use SECRETS`;
        if (
          /iam_auth\s*=\s*"DISABLED"/.test(block.body) &&
          !/client_password_auth_type\s*=\s*"POSTGRES_SCRAM_SHA_256"/.test(block.body)
        ) {
          return `password logins over ${block.forEach} must use SCRAM-SHA-256`;
        }
      }
      return undefined;
    },
  ),
  {
    id: "SB_PROXY_IAM_AUTH",
    title: "RDS Proxy requires IAM auth for exactly the Worker's logins (sb_api, sb_jobs, sb_analytics)",
    types: ["aws_db_proxy"],
    check: (config) => [
      ...each("SB_PROXY_IAM_AUTH", "", ["aws_db_proxy"], workerLoginsUseIam).check(config),
      ...Object.entries(config.environments)
        .filter(([, env]) => /\bworker_db_users\b/.test(env.text))
        .map(([name]) => `environments/${name}: must not override worker_db_users`),
    ],
  },
  {
    id: "SB_PROXY_NO_OWNER_LOGIN",
    title: "The RDS Proxy's auth list holds no master or owner secret (only the Worker's IAM logins)",
    types: ["aws_db_proxy"],
    check: (config) => [
      ...each("SB_PROXY_NO_OWNER_LOGIN", "", ["aws_db_proxy"], noOwnerOrMasterOnProxy).check(config),
      ...Object.entries(config.environments).flatMap(([name, env]) =>
        env.calls
          .filter((call) => call.module === "db-proxy")
          .filter((call) => /master|owner/.test(JSON.stringify(call.args.login_role_secret_arns ?? "")))
          .map((call) => `environments/${name}/module.${call.name}: login_role_secret_arns names the master or owner`),
      ),
    ],
  },
  each("SB_PROXY_IDLE_TIMEOUT", "RDS Proxy closes idle clients", ["aws_db_proxy"], (r) =>
    Number(r.get("idle_client_timeout")) > 0 && Number(r.get("idle_client_timeout")) <= 3600
      ? undefined
      : "idle_client_timeout must be 1–3600 s",
  ),

  // --- aws_kms_key ------------------------------------------------------------------------
  each("CKV_AWS_7", "KMS keys rotate", ["aws_kms_key"], is(true, "enable_key_rotation")),
  each("CKV_AWS_227", "KMS keys are enabled", ["aws_kms_key"], (r) =>
    r.get("is_enabled") === false ? "is_enabled is false" : undefined,
  ),
  each("CKV2_AWS_64", "KMS keys have an explicit key policy", ["aws_kms_key"], present("policy")),
  each("CKV_AWS_33", "KMS key policies have no wildcard principal", ["aws_kms_key"], (r) =>
    /(Principal|AWS|Service)\s*=\s*"\*"/.test(r.module.text) ? "a key policy statement names principal *" : undefined,
  ),

  // --- security groups --------------------------------------------------------------------
  each(
    "CKV_AWS_23",
    "Security groups and their rules have descriptions",
    ["aws_security_group", ...ingressRules, "aws_vpc_security_group_egress_rule"],
    present("description"),
  ),
  each(
    "CKV_AWS_24",
    "No ingress from the whole Internet (covers CKV_AWS_24/25/260/277 for every port)",
    ingressRules,
    (r) =>
      OPEN_CIDRS.has(String(r.get("cidr_ipv4"))) || OPEN_CIDRS.has(String(r.get("cidr_ipv6")))
        ? "ingress open to the Internet"
        : undefined,
  ),
  each("CKV_AWS_382", "No egress to the whole Internet on all ports", ["aws_vpc_security_group_egress_rule"], (r) =>
    r.get("ip_protocol") === "-1" &&
    (OPEN_CIDRS.has(String(r.get("cidr_ipv4"))) || OPEN_CIDRS.has(String(r.get("cidr_ipv6"))))
      ? "egress -1 to the Internet"
      : undefined,
  ),
  each("CKV2_AWS_5", "Every security group is attached to a resource", ["aws_security_group"], (r) =>
    new RegExp(`aws_security_group\\.${r.name}\\.id`).test(r.module.text.replace(r.text, ""))
      ? undefined
      : "security group is not used",
  ),
  {
    id: "SB_DB_NO_INTERNET_PATH",
    title: "Database and RDS Proxy accept connections only from named security groups, never from a CIDR",
    check: (config) =>
      instances(config, "aws_vpc_security_group_ingress_rule")
        .filter((r) => r.module.name === "database" || r.module.name === "db-proxy")
        .flatMap((r) =>
          r.get("cidr_ipv4") !== undefined ||
          r.get("cidr_ipv6") !== undefined ||
          r.get("referenced_security_group_id") === undefined
            ? [`${r.address}: database-tier ingress must reference a security group, not an address range`]
            : [],
        ),
  },
  each(
    "SB_ALB_CLOUDFLARE_ONLY",
    "The WebSocket proxy's ALB admits HTTPS from Cloudflare ranges only",
    ["aws_vpc_security_group_ingress_rule"],
    (r) => {
      if (r.module.name !== "ws-proxy" || !r.name.startsWith("alb_")) return undefined;
      const cidrs = String(r.text.match(/cidr_ipv[46]\s*=\s*(\S+)/)?.[1]);
      return cidrs === "each.value" &&
        /var\.cloudflare_ipv[46]_cidrs/.test(r.text) &&
        Number(r.get("from_port")) === 443
        ? undefined
        : "ALB ingress must come from var.cloudflare_ipv*_cidrs on 443";
    },
  ),

  // --- aws_secretsmanager_secret ----------------------------------------------------------
  each(
    "CKV_AWS_149",
    "Secrets are encrypted with a customer-managed KMS key",
    ["aws_secretsmanager_secret"],
    present("kms_key_id"),
  ),
  each("CKV2_AWS_57", "Secrets rotate automatically (or say why not)", ["aws_secretsmanager_secret"], (r) =>
    /aws_secretsmanager_secret_rotation/.test(r.module.text) ? undefined : skippedWithReason("CKV2_AWS_57")(r),
  ),

  // --- aws_ecs_* --------------------------------------------------------------------------
  each("CKV_AWS_65", "ECS cluster has Container Insights", ["aws_ecs_cluster"], (r) =>
    /name\s*=\s*"containerInsights"\s*\n\s*value\s*=\s*"(enabled|enhanced)"/.test(r.text)
      ? undefined
      : "containerInsights must be enabled",
  ),
  each("CKV_AWS_223", "ECS Exec sessions are logged (never logging = NONE)", ["aws_ecs_cluster"], (r) =>
    ["OVERRIDE", "DEFAULT"].includes(String(r.get("configuration.execute_command_configuration.logging")))
      ? undefined
      : "execute_command_configuration.logging must be OVERRIDE or DEFAULT",
  ),
  each(
    "CKV_AWS_224",
    "ECS Exec sessions are logged, encrypted with a customer-managed key",
    ["aws_ecs_cluster"],
    (r) =>
      r.get("configuration.execute_command_configuration.kms_key_id") &&
      r.get("configuration.execute_command_configuration.log_configuration.cloud_watch_encryption_enabled") === true
        ? undefined
        : "execute_command_configuration needs kms_key_id and encrypted logging",
  ),
  each("CKV_AWS_249", "ECS task execution role and task role differ", ["aws_ecs_task_definition"], (r) =>
    r.get("execution_role_arn") !== r.get("task_role_arn") ? undefined : "execution_role_arn equals task_role_arn",
  ),
  each("CKV_AWS_334", "ECS containers are not privileged", ["aws_ecs_task_definition"], (r) =>
    /privileged\s*=\s*false/.test(r.text) && !/privileged\s*=\s*true/.test(r.text)
      ? undefined
      : "containers must set privileged = false",
  ),
  each("CKV_AWS_335", "ECS tasks do not share the host's process namespace", ["aws_ecs_task_definition"], (r) =>
    /pid_mode\s*=\s*"host"|pidMode\s*=\s*"host"/.test(r.text) ? "pid mode host" : undefined,
  ),
  each("CKV_AWS_336", "ECS containers have a read-only root filesystem", ["aws_ecs_task_definition"], (r) =>
    /readonlyRootFilesystem\s*=\s*true/.test(r.text) ? undefined : "readonlyRootFilesystem must be true",
  ),
  each(
    "CKV_AWS_97",
    "ECS task volumes encrypt EFS traffic (no EFS volume without transit encryption)",
    ["aws_ecs_task_definition"],
    (r) =>
      /efs_volume_configuration/.test(r.text) && !/transit_encryption\s*=\s*"ENABLED"/.test(r.text)
        ? "EFS volume without transit encryption"
        : undefined,
  ),
  each(
    "SB_ECS_NON_ROOT",
    "ECS containers run as a non-root user with no Linux capabilities",
    ["aws_ecs_task_definition"],
    (r) =>
      /user\s*=\s*"[1-9]\d*(:\d+)?"/.test(r.text) && /drop\s*=\s*\["ALL"\]/.test(r.text)
        ? undefined
        : "container must set a non-root user and drop ALL capabilities",
  ),
  each(
    "CKV_AWS_332",
    "ECS Fargate services run on the latest platform version",
    ["aws_ecs_service"],
    is("LATEST", "platform_version"),
  ),
  each(
    "CKV_AWS_333",
    "ECS services get no public IP",
    ["aws_ecs_service"],
    is(false, "network_configuration.assign_public_ip"),
  ),

  // --- aws_lb* ----------------------------------------------------------------------------
  each("CKV_AWS_91", "Load balancer writes access logs", ["aws_lb"], is(true, "access_logs.enabled")),
  each("CKV_AWS_150", "Load balancer has deletion protection", ["aws_lb"], is(true, "enable_deletion_protection")),
  each("CKV_AWS_131", "ALB drops invalid HTTP header fields", ["aws_lb"], is(true, "drop_invalid_header_fields")),
  each("CKV_AWS_328", "ALB desync mitigation is defensive or strictest", ["aws_lb"], (r) =>
    ["defensive", "strictest"].includes(String(r.get("desync_mitigation_mode") ?? "defensive"))
      ? undefined
      : "desync_mitigation_mode must be defensive or strictest",
  ),
  each("CKV2_AWS_28", "Public ALB is protected by WAF (or says why not)", ["aws_lb"], skippedWithReason("CKV2_AWS_28")),
  each("CKV2_AWS_76", "ALB WAF has the Log4j rule (or says why not)", ["aws_lb"], skippedWithReason("CKV2_AWS_76")),
  each(
    "CKV_AWS_2",
    "Listeners use HTTPS (no plain HTTP listener, so nothing to redirect: CKV2_AWS_20)",
    ["aws_lb_listener"],
    (r) =>
      ["HTTPS", "TLS"].includes(String(r.get("protocol"))) ? undefined : `protocol is ${String(r.get("protocol"))}`,
  ),
  each("CKV_AWS_103", "Listeners use TLS 1.2 or newer", ["aws_lb_listener"], (r) =>
    /^ELBSecurityPolicy-(TLS13-1-2|FS-1-2|TLS-1-2)/.test(String(r.get("ssl_policy")))
      ? undefined
      : `ssl_policy ${String(r.get("ssl_policy"))} allows TLS < 1.2`,
  ),
  each("CKV2_AWS_74", "Listeners use a strong-cipher TLS policy", ["aws_lb_listener"], (r) =>
    [
      "ELBSecurityPolicy-TLS13-1-2-2021-06",
      "ELBSecurityPolicy-TLS13-1-2-Res-2021-06",
      "ELBSecurityPolicy-TLS13-1-3-2021-06",
      "ELBSecurityPolicy-FS-1-2-Res-2020-10",
    ].includes(String(r.get("ssl_policy")))
      ? undefined
      : `ssl_policy ${String(r.get("ssl_policy"))} is not a strong-cipher policy`,
  ),
  each("CKV_AWS_233", "ACM certificates are created before the old one is destroyed", ["aws_acm_certificate"], (r) =>
    /create_before_destroy\s*=\s*true/.test(r.text) ? undefined : "lifecycle.create_before_destroy must be true",
  ),
  each("CKV_AWS_234", "ACM certificates keep certificate transparency logging", ["aws_acm_certificate"], (r) =>
    /certificate_transparency_logging_preference\s*=\s*"DISABLED"/.test(r.text)
      ? "transparency logging disabled"
      : undefined,
  ),
  each("CKV2_AWS_71", "ACM certificates name a host, not a wildcard", ["aws_acm_certificate"], (r) =>
    String(r.get("domain_name")).includes("*") ? "wildcard certificate" : undefined,
  ),
  each("CKV_AWS_261", "Target groups define a health check", ["aws_lb_target_group"], (r) =>
    r.get("health_check.path") && r.get("health_check.enabled") !== false
      ? undefined
      : "health_check with a path is required",
  ),
  each("CKV_AWS_378", "Target groups do not use plain HTTP", ["aws_lb_target_group"], (r) =>
    r.get("protocol") === "HTTP" ? "protocol HTTP" : undefined,
  ),

  // --- ECR, logs, SNS ---------------------------------------------------------------------
  each("CKV_AWS_51", "ECR image tags are immutable", ["aws_ecr_repository"], is("IMMUTABLE", "image_tag_mutability")),
  each(
    "CKV_AWS_163",
    "ECR scans images on push",
    ["aws_ecr_repository"],
    is(true, "image_scanning_configuration.scan_on_push"),
  ),
  each(
    "CKV_AWS_136",
    "ECR repository is encrypted with KMS",
    ["aws_ecr_repository"],
    is("KMS", "encryption_configuration.encryption_type"),
  ),
  each("CKV_AWS_158", "Log groups are encrypted with KMS", ["aws_cloudwatch_log_group"], present("kms_key_id")),
  each(
    "CKV_AWS_338",
    "Log groups keep logs at least a year (and have a retention: CKV_AWS_66)",
    ["aws_cloudwatch_log_group"],
    (r) =>
      Number(r.get("retention_in_days")) >= 365
        ? undefined
        : `retention_in_days is ${String(r.get("retention_in_days"))}`,
  ),
  each("CKV_AWS_26", "SNS topics are encrypted with KMS", ["aws_sns_topic"], present("kms_master_key_id")),
  each(
    "CKV_AWS_169",
    "SNS topic policies allow named service principals only, never *",
    ["aws_sns_topic_policy"],
    (r) =>
      /Principal\s*=\s*"\*"|AWS\s*=\s*"\*"/.test(r.text) || !/Principal\s*=\s*\{\s*Service\s*=/.test(r.text)
        ? "topic policy must name a service principal"
        : undefined,
  ),

  // --- IAM --------------------------------------------------------------------------------
  {
    id: "CKV_AWS_62",
    title: 'No wildcard actions in any policy (covers CKV_AWS_62/63/289/290: no "*" or "service:*")',
    check: (config) =>
      Object.values(config.modules).flatMap((module) =>
        statements(module.text, module.text).flatMap(({ actions }) =>
          actions
            .filter((action) => action === "*" || action.endsWith(":*") || action.startsWith("<unresolved"))
            .map((action) => `modules/${module.name}: action ${action}`),
        ),
      ),
  },
  {
    id: "CKV_AWS_355",
    title:
      'No "*" resource except for actions without resource-level permissions (key policies: "*" is the key itself)',
    check: (config) =>
      Object.values(config.modules).flatMap((module) =>
        policyCarriers
          .flatMap((type) =>
            Object.keys(module.resources[type] ?? {}).map((name) => ({
              type,
              text: blockText(module.text, type, name),
            })),
          )
          .filter(({ type }) => type !== "aws_kms_key")
          .flatMap(({ type, text }) =>
            statements(text, module.text)
              .filter(
                ({ resource, actions }) =>
                  resource.startsWith('"*"') && actions.some((action) => !RESOURCELESS_ACTIONS.has(action)),
              )
              .map(({ actions }) => `modules/${module.name}/${type}: ${actions.join(", ")} on "*"`),
          ),
      ),
  },
  each("CKV_AWS_274", "No role gets AdministratorAccess", ["aws_iam_role_policy_attachment"], (r) =>
    /AdministratorAccess/.test(r.text) ? "AdministratorAccess attached" : undefined,
  ),
  {
    id: "CKV_AWS_60",
    title: "Roles can be assumed only by an AWS service principal, never by *",
    check: (config) =>
      instances(config, "aws_iam_role").flatMap((r) =>
        /Principal\s*=\s*\{\s*Service\s*=\s*"[a-z0-9.-]+\.amazonaws\.com"\s*\}/.test(r.text)
          ? []
          : [`${r.address}: trust policy must name one service principal`],
      ),
  },

  {
    id: "SB_WORKER_DB_CONNECT_ONLY",
    title:
      "The Worker's IAM user may only rds-db:connect as the Worker's database users on this proxy; its key is not in Terraform",
    types: ["aws_iam_user"],
    check: (config) => {
      const problems: string[] = [];
      for (const module of Object.values(config.modules)) {
        const users = Object.keys(module.resources.aws_iam_user ?? {});
        // The SES sender has a rule of its own (SB_SES_SENDER_SEND_ONLY).
        if (users.length === 0 || module.name === "email") continue;
        const where = `modules/${module.name}`;
        if (module.name !== "db-proxy" || users.join() !== "worker")
          problems.push(`${where}: the only IAM user is db-proxy's worker`);
        for (const type of [
          "aws_iam_access_key",
          "aws_iam_user_policy",
          "aws_iam_user_policy_attachment",
          "aws_iam_group_policy_attachment",
          "aws_iam_policy_attachment",
        ]) {
          if (module.resources[type])
            problems.push(
              `${where}: ${type} (the key is made by an operator; permissions only through the group policy)`,
            );
        }
        const groupPolicies = Object.keys(module.resources.aws_iam_group_policy ?? {});
        if (groupPolicies.join() !== "worker_db_connect")
          problems.push(`${where}: one group policy, worker_db_connect (has ${groupPolicies.join(", ") || "none"})`);
        const found = statements(blockText(module.text, "aws_iam_group_policy", "worker_db_connect"), module.text);
        if (
          found.length !== 1 ||
          found[0]!.actions.join() !== "rds-db:connect" ||
          found[0]!.resource !== "local.worker_db_user_arns"
        ) {
          problems.push(`${where}: the group policy must allow exactly rds-db:connect on local.worker_db_user_arns`);
        }
        const arns = /worker_db_user_arns = \[\s*for user in values\(var\.worker_db_users\) :\s*"([^"\n]+)"\s*\]/.exec(
          module.text,
        )?.[1];
        if (
          arns !==
          "arn:aws:rds-db:${data.aws_region.current.name}:${data.aws_caller_identity.current.account_id}:dbuser:${local.proxy_resource_id}/${user}"
        ) {
          problems.push(
            `${where}: worker_db_user_arns must be this proxy's dbuser ARNs of var.worker_db_users (is ${arns ?? "missing"})`,
          );
        }
        if (!/proxy_resource_id\s*=\s*split\(":", aws_db_proxy\.this\.arn\)\[6\]/.test(module.text))
          problems.push(`${where}: proxy_resource_id must come from this proxy's ARN`);
        if (
          !/users = \[aws_iam_user\.worker\.name\]/.test(
            blockText(module.text, "aws_iam_group_membership", "worker_db_connect"),
          )
        )
          problems.push(`${where}: the group's only member is the worker user`);
      }
      return problems;
    },
  },
  {
    id: "SB_SES_SENDER_SEND_ONLY",
    title:
      "The SES sender IAM user may only ses:SendEmail from its identity, through its group; its key is not in Terraform",
    types: ["aws_iam_user"],
    check: (config) => {
      const module = config.modules.email;
      if (!module) return [];
      const problems: string[] = [];
      if (Object.keys(module.resources.aws_iam_user ?? {}).join() !== "sender")
        problems.push("modules/email: one IAM user, sender");
      for (const type of ["aws_iam_access_key", "aws_iam_user_policy", "aws_iam_user_policy_attachment"])
        if (module.resources[type]) problems.push(`modules/email: ${type} (permissions only through the group policy)`);
      const found = statements(blockText(module.text, "aws_iam_group_policy", "send_only"), module.text);
      if (
        found.length !== 1 ||
        found[0]!.actions.join() !== "ses:SendEmail" ||
        !found[0]!.resource.startsWith("[aws_sesv2_email_identity.domain.arn")
      )
        problems.push("modules/email: send_only must allow ses:SendEmail on the identity only");
      return problems;
    },
  },

  // --- alarms -----------------------------------------------------------------------------
  {
    id: "SB_SEED_ALARMS",
    title: "The seeds' alarms exist and notify the operators' topic",
    check: (config) => {
      const alarms = instances(config, "aws_cloudwatch_metric_alarm");
      const required = [
        "CPUUtilization",
        "ServerlessDatabaseCapacity",
        "MaxDatabaseConnectionsAllowed",
        "DatabaseConnectionsSetupFailed",
        "HTTPCode_Target_5XX_Count",
        "UnHealthyHostCount",
      ];
      const problems = required
        .filter((metric) => !alarms.some((a) => a.text.includes(`"${metric}"`)))
        .map((metric) => `no alarm on ${metric}`);
      for (const alarm of alarms)
        if (!/alarm_actions\s*=\s*local\.actions/.test(alarm.text)) problems.push(`${alarm.address}: no alarm action`);
      return problems;
    },
  },
];
