# RDS Proxy in front of Aurora: pools the many short connections the Worker opens (one per
# request, through the WebSocket proxy) onto few database connections.
#
# Pinning: RDS Proxy pins a client connection to one database connection when it sees session
# state change (SET, set_config(…, false), temporary tables, …). Our tenant context is set with
# set_config('app.context', …, true): transaction-local, gone at COMMIT/ROLLBACK, so connections
# return to the pool after every transaction and no tenant context can leak to the next client.
# Watch DatabaseConnectionsCurrentlySessionPinned: it should stay near zero.
#
# Login: the Worker's roles (var.worker_db_users) authenticate with IAM only (iam_auth REQUIRED):
# the Worker presents a 15-minute IAM auth token as a cleartext password, which lets its driver
# pipeline start-up into the first query (SCRAM costs three more round trips per connection).
# The proxy still reaches Aurora with the role's password from Secrets Manager. No other login
# is on the proxy: the owner and the RDS master (migrations, operators) connect from the bastion
# straight to Aurora (docs/deploy.md step 6), so nothing that reaches the proxy from the
# WebSocket side can try their passwords (docs/security.md, "WebSocket proxy").
locals {
  worker_login_secret_arns = { for key, arn in var.login_role_secret_arns : key => arn if contains(keys(var.worker_db_users), key) }
  # arn:aws:rds:<region>:<account>:db-proxy:prx-… → prx-…, the resource id rds-db:connect names.
  proxy_resource_id = split(":", aws_db_proxy.this.arn)[6]
  worker_db_user_arns = [
    for user in values(var.worker_db_users) :
    "arn:aws:rds-db:${data.aws_region.current.name}:${data.aws_caller_identity.current.account_id}:dbuser:${local.proxy_resource_id}/${user}"
  ]
}
resource "aws_security_group" "proxy" {
  name        = "${var.name}-rds-proxy-sg"
  description = "RDS Proxy: Postgres from the WebSocket proxy tasks only; Postgres out to Aurora only."
  vpc_id      = var.vpc_id
  tags        = var.tags
}

resource "aws_vpc_security_group_ingress_rule" "from_clients" {
  for_each                     = toset(var.client_security_group_ids)
  security_group_id            = aws_security_group.proxy.id
  description                  = "Postgres from ${each.value}"
  ip_protocol                  = "tcp"
  from_port                    = 5432
  to_port                      = 5432
  referenced_security_group_id = each.value
}

resource "aws_vpc_security_group_egress_rule" "to_database" {
  security_group_id            = aws_security_group.proxy.id
  description                  = "Postgres to the Aurora cluster"
  ip_protocol                  = "tcp"
  from_port                    = 5432
  to_port                      = 5432
  referenced_security_group_id = var.database_security_group_id
}

resource "aws_iam_role" "proxy" {
  name        = "${var.name}-rds-proxy"
  description = "Lets the RDS Proxy read the login-role secrets, nothing else."
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { Service = "rds.amazonaws.com" }
      Action    = "sts:AssumeRole"
      Condition = { StringEquals = { "aws:SourceAccount" = data.aws_caller_identity.current.account_id } }
    }]
  })
  tags = var.tags
}

data "aws_caller_identity" "current" {}
data "aws_region" "current" {}

resource "aws_iam_role_policy" "proxy_secrets" {
  name = "read-login-role-secrets"
  role = aws_iam_role.proxy.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid      = "ReadLoginRoleSecrets"
        Effect   = "Allow"
        Action   = ["secretsmanager:GetSecretValue"]
        Resource = values(local.worker_login_secret_arns)
      },
      {
        Sid      = "DecryptThroughSecretsManager"
        Effect   = "Allow"
        Action   = ["kms:Decrypt"]
        Resource = var.secrets_kms_key_arns
        Condition = {
          StringEquals = { "kms:ViaService" = "secretsmanager.${data.aws_region.current.name}.amazonaws.com" }
        }
      },
    ]
  })
}

resource "aws_db_proxy" "this" {
  name                   = "${var.name}-rds-proxy"
  engine_family          = "POSTGRESQL"
  role_arn               = aws_iam_role.proxy.arn
  vpc_subnet_ids         = var.private_subnet_ids
  vpc_security_group_ids = [aws_security_group.proxy.id]
  require_tls            = true
  idle_client_timeout    = var.idle_client_timeout_seconds
  debug_logging          = false

  # The Worker's roles: IAM auth token only, never a password.
  dynamic "auth" {
    for_each = local.worker_login_secret_arns
    content {
      description = "Postgres login ${auth.key} (Worker, IAM auth)"
      auth_scheme = "SECRETS"
      secret_arn  = auth.value
      iam_auth    = "REQUIRED"
    }
  }

  tags = var.tags
}

resource "aws_db_proxy_default_target_group" "this" {
  db_proxy_name = aws_db_proxy.this.name

  connection_pool_config {
    max_connections_percent      = var.max_connections_percent
    max_idle_connections_percent = var.max_idle_connections_percent
    connection_borrow_timeout    = var.connection_borrow_timeout_seconds
  }
}

resource "aws_db_proxy_target" "cluster" {
  db_proxy_name         = aws_db_proxy.this.name
  target_group_name     = aws_db_proxy_default_target_group.this.name
  db_cluster_identifier = var.cluster_id
}

# The Worker's AWS identity: an IAM user (Cloudflare Workers cannot assume a role without a key
# anyway) whose only permission, through its group, is rds-db:connect as the Worker's roles on
# this proxy. Its access key is made by an operator (docs/deploy.md), not here: a key created
# by Terraform would sit in the state.
resource "aws_iam_user" "worker" {
  #checkov:skip=CKV_AWS_273:A machine identity for the Cloudflare Worker, which cannot use SSO or assume a role without a key; its only permission is rds-db:connect as three database users.
  name = "${var.name}-worker-db-connect"
  path = "/securebase/"
  tags = var.tags
}

resource "aws_iam_group" "worker_db_connect" {
  name = "${var.name}-worker-db-connect"
  path = "/securebase/"
}

resource "aws_iam_group_membership" "worker_db_connect" {
  name  = "${var.name}-worker-db-connect"
  group = aws_iam_group.worker_db_connect.name
  users = [aws_iam_user.worker.name]
}

resource "aws_iam_group_policy" "worker_db_connect" {
  name  = "rds-db-connect-as-worker-roles"
  group = aws_iam_group.worker_db_connect.name
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Sid      = "ConnectAsWorkerRoles"
      Effect   = "Allow"
      Action   = ["rds-db:connect"]
      Resource = local.worker_db_user_arns
    }]
  })
}
