# Secrets Manager entries, encrypted with the secrets CMK. Terraform creates the containers only:
# values are generated and stored by the operator (docs/deploy.md), so no password or key ever
# sits in Terraform state or plan output.
#
# - one secret per database login role, JSON {"username","password"}: the RDS Proxy authenticates
#   clients and logs in to Aurora with these, and `npm run db:migrate` sets the same passwords;
# - the Worker's application keys (tenant-context key, data encryption key, session signing keys),
#   kept here as the source of truth that `wrangler secret put` copies from.
resource "aws_secretsmanager_secret" "login_role" {
  #checkov:skip=CKV2_AWS_57:Each password is also a Cloudflare Worker secret (DATABASE_URL, JOBS_DATABASE_URL); a Lambda rotation would break the Worker. Rotation is the zero-downtime runbook in docs/deploy.md.
  for_each                = var.login_roles
  name                    = "${var.name}/db/${each.key}"
  description             = "Postgres login ${each.value} (JSON username/password), used by the RDS Proxy and set by npm run db:migrate."
  kms_key_id              = var.kms_key_arn
  recovery_window_in_days = var.recovery_window_in_days
  tags                    = merge(var.tags, { "securebase:db-role" = each.value })
}

resource "aws_secretsmanager_secret" "app_key" {
  #checkov:skip=CKV2_AWS_57:These keys are Cloudflare Worker secrets; rotation is a two-phase procedure (add new, deploy, retire old) in docs/deploy.md, not a Lambda.
  for_each                = var.app_keys
  name                    = "${var.name}/worker/${each.key}"
  description             = each.value
  kms_key_id              = var.kms_key_arn
  recovery_window_in_days = var.recovery_window_in_days
  tags                    = var.tags
}
