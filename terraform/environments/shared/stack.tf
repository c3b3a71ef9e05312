# SecureBase Edge API, AWS data tier: one composition for every environment.
# The Worker runs on Cloudflare; here live Aurora (behind RDS Proxy), the WebSocket proxy the
# Worker reaches it through, their secrets and keys, and the operators' alarms.
# environments/{dev,staging,prod} link this file (and variables.tf, outputs.tf, versions.tf)
# and differ only in their settings.tf (`local.settings`), their backend and their tfvars.
locals {
  name = "securebase-${var.environment}"
}

module "database_key" {
  source       = "../../modules/kms-key"
  alias        = "${local.name}-database"
  description  = "SecureBase ${var.environment}: Aurora storage, Performance Insights, master secret."
  via_services = ["rds", "secretsmanager"]
}

module "secrets_key" {
  source       = "../../modules/kms-key"
  alias        = "${local.name}-secrets"
  description  = "SecureBase ${var.environment}: Secrets Manager entries (role passwords, Worker keys)."
  via_services = ["secretsmanager"]
}

module "operations_key" {
  source                = "../../modules/kms-key"
  alias                 = "${local.name}-operations"
  description           = "SecureBase ${var.environment}: logs, image repository, operators' and email-event SNS topics."
  via_services          = ["ecr", "sns"]
  service_principals    = ["cloudwatch.amazonaws.com", "ses.amazonaws.com"]
  allow_cloudwatch_logs = true
}

module "secrets" {
  source                  = "../../modules/secrets"
  name                    = local.name
  kms_key_arn             = module.secrets_key.key_arn
  recovery_window_in_days = local.settings.secrets_recovery_window_days
}

module "database" {
  source                   = "../../modules/database"
  name                     = local.name
  vpc_id                   = var.vpc_id
  private_subnet_ids       = var.private_subnet_ids
  client_security_group_id = module.db_proxy.security_group_id
  # Migrations run from the bastion straight to Aurora (docs/deploy.md step 6).
  operator_security_group_ids = var.bastion_security_group_ids
  kms_key_arn                 = module.database_key.key_arn
  logs_kms_key_arn            = module.operations_key.key_arn
  min_acu                     = 0.5
  max_acu                     = 4
  instance_count              = local.settings.database_instances
  backup_retention_days       = local.settings.backup_retention_days
  deletion_protection         = true
  skip_final_snapshot         = local.settings.skip_final_snapshot
}

module "db_proxy" {
  source                     = "../../modules/db-proxy"
  name                       = local.name
  vpc_id                     = var.vpc_id
  private_subnet_ids         = var.private_subnet_ids
  client_security_group_ids  = [module.ws_proxy.task_security_group_id]
  database_security_group_id = module.database.security_group_id
  cluster_id                 = module.database.cluster_id
  # Only the Worker's logins are kept on the proxy (the module filters them); the
  # master and owner log in to Aurora directly from the bastion.
  login_role_secret_arns = module.secrets.login_role_secret_arns
  secrets_kms_key_arns   = [module.secrets_key.key_arn, module.database_key.key_arn]
}

module "ws_proxy" {
  source                      = "../../modules/ws-proxy"
  name                        = local.name
  vpc_id                      = var.vpc_id
  public_subnet_ids           = var.public_subnet_ids
  private_subnet_ids          = var.private_subnet_ids
  https_egress_cidrs          = var.https_egress_cidrs
  domain_name                 = var.ws_proxy_domain
  cloudflare_ipv4_cidrs       = var.cloudflare_ipv4_cidrs
  cloudflare_ipv6_cidrs       = var.cloudflare_ipv6_cidrs
  rds_proxy_endpoint          = module.db_proxy.endpoint
  rds_proxy_security_group_id = module.db_proxy.security_group_id
  token_key_secret_arn        = module.secrets.app_key_secret_arns["db-proxy-token-key"]
  secrets_kms_key_arn         = module.secrets_key.key_arn
  kms_key_arn                 = module.operations_key.key_arn
  logs_kms_key_arn            = module.operations_key.key_arn
  access_logs_bucket          = var.access_logs_bucket
  image_tag                   = var.ws_proxy_image_tag
  min_tasks                   = local.settings.ws_proxy_min_tasks
  max_tasks                   = local.settings.ws_proxy_max_tasks
  deletion_protection         = true
}

module "alarms" {
  source                  = "../../modules/alarms"
  name                    = local.name
  kms_key_arn             = module.operations_key.key_arn
  operator_emails         = var.operator_emails
  cluster_id              = module.database.cluster_id
  max_acu                 = module.database.max_acu
  proxy_name              = module.db_proxy.name
  alb_arn_suffix          = module.ws_proxy.alb_arn_suffix
  target_group_arn_suffix = module.ws_proxy.target_group_arn_suffix
}

module "dashboard" {
  source           = "../../modules/dashboard"
  name             = local.name
  cluster_id       = module.database.cluster_id
  proxy_name       = module.db_proxy.name
  ecs_cluster_name = module.ws_proxy.ecs_cluster_name
  ecs_service_name = module.ws_proxy.ecs_service_name
  alb_arn_suffix   = module.ws_proxy.alb_arn_suffix
}

module "email" {
  source            = "../../modules/email"
  name              = local.name
  domain            = var.email_domain
  kms_key_arn       = module.operations_key.key_arn
  notifications_url = "${var.api_base_url}/v1/email/ses-notifications"
}
