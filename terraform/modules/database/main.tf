# Aurora PostgreSQL Serverless v2: the only store of tenant data. Encrypted with the database CMK,
# TLS forced by the parameter group, reachable only from the RDS Proxy's security group, never
# publicly. Row-level security inside the database keeps tenants apart (db/migrations).
# The application database is not created here: `npm run db:migrate` (MASTER_DATABASE_URL) creates
# it owned by the owner role, so the RDS master never owns application objects.
locals {
  identifier = "${var.name}-aurora"
}

resource "aws_db_subnet_group" "this" {
  name        = local.identifier
  description = "Private subnets of the SecureBase database (landing zone)."
  subnet_ids  = var.private_subnet_ids
  tags        = var.tags
}

resource "aws_security_group" "database" {
  name        = "${local.identifier}-sg"
  description = "Aurora: Postgres only from the RDS Proxy and the operators' bastion; no egress."
  vpc_id      = var.vpc_id
  tags        = var.tags
}

resource "aws_vpc_security_group_ingress_rule" "from_proxy" {
  security_group_id            = aws_security_group.database.id
  description                  = "Postgres from the RDS Proxy"
  ip_protocol                  = "tcp"
  from_port                    = 5432
  to_port                      = 5432
  referenced_security_group_id = var.client_security_group_id
}

# Migrations and operators: the owner and master logins are not on the RDS Proxy.
resource "aws_vpc_security_group_ingress_rule" "from_operators" {
  for_each                     = toset(var.operator_security_group_ids)
  security_group_id            = aws_security_group.database.id
  description                  = "Postgres from the operators' bastion (migrations)"
  ip_protocol                  = "tcp"
  from_port                    = 5432
  to_port                      = 5432
  referenced_security_group_id = each.value
}

resource "aws_rds_cluster_parameter_group" "this" {
  name        = "${local.identifier}-params"
  family      = var.parameter_group_family
  description = "SecureBase: TLS only, SCRAM passwords, DDL and slow-query logging."

  parameter {
    name  = "rds.force_ssl"
    value = "1"
  }
  parameter {
    name  = "password_encryption"
    value = "scram-sha-256"
  }
  parameter {
    name  = "log_statement"
    value = "ddl"
  }
  parameter {
    name  = "log_min_duration_statement"
    value = tostring(var.log_min_duration_ms)
  }
  parameter {
    name  = "log_connections"
    value = "1"
  }
  parameter {
    name  = "log_disconnections"
    value = "1"
  }
  tags = var.tags
}

# Created here (not by RDS on first export) so that retention and encryption are ours.
resource "aws_cloudwatch_log_group" "postgresql" {
  name              = "/aws/rds/cluster/${local.identifier}/postgresql"
  retention_in_days = var.log_retention_days
  kms_key_id        = var.logs_kms_key_arn
  tags              = var.tags
}

resource "aws_rds_cluster" "this" {
  #checkov:skip=CKV2_AWS_8:Aurora continuous backups (PITR) are kept backup_retention_days (35 in prod); an AWS Backup plan is the landing zone's organisation-wide policy, not this stack's.
  #checkov:skip=CKV_AWS_326:Backtracking exists only for Aurora MySQL.
  cluster_identifier                  = local.identifier
  engine                              = "aurora-postgresql"
  engine_mode                         = "provisioned"
  engine_version                      = var.engine_version
  master_username                     = var.master_username
  manage_master_user_password         = true
  master_user_secret_kms_key_id       = var.kms_key_arn
  db_subnet_group_name                = aws_db_subnet_group.this.name
  vpc_security_group_ids              = [aws_security_group.database.id]
  db_cluster_parameter_group_name     = aws_rds_cluster_parameter_group.this.name
  storage_encrypted                   = true
  kms_key_id                          = var.kms_key_arn
  iam_database_authentication_enabled = true
  backup_retention_period             = var.backup_retention_days
  preferred_backup_window             = var.backup_window
  preferred_maintenance_window        = var.maintenance_window
  copy_tags_to_snapshot               = true
  deletion_protection                 = var.deletion_protection
  skip_final_snapshot                 = var.skip_final_snapshot
  final_snapshot_identifier           = var.skip_final_snapshot ? null : "${local.identifier}-final"
  enabled_cloudwatch_logs_exports     = ["postgresql"]
  apply_immediately                   = false

  serverlessv2_scaling_configuration {
    min_capacity = var.min_acu
    max_capacity = var.max_acu
  }

  tags       = var.tags
  depends_on = [aws_cloudwatch_log_group.postgresql]
}

resource "aws_iam_role" "monitoring" {
  name        = "${local.identifier}-monitoring"
  description = "Enhanced Monitoring of the SecureBase Aurora instances."
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { Service = "monitoring.rds.amazonaws.com" }
      Action    = "sts:AssumeRole"
    }]
  })
  tags = var.tags
}

resource "aws_iam_role_policy_attachment" "monitoring" {
  role       = aws_iam_role.monitoring.name
  policy_arn = "arn:${data.aws_partition.current.partition}:iam::aws:policy/service-role/AmazonRDSEnhancedMonitoringRole"
}

data "aws_partition" "current" {}

resource "aws_rds_cluster_instance" "this" {
  count                                 = var.instance_count
  identifier                            = "${local.identifier}-${count.index + 1}"
  cluster_identifier                    = aws_rds_cluster.this.id
  engine                                = aws_rds_cluster.this.engine
  engine_version                        = aws_rds_cluster.this.engine_version
  instance_class                        = "db.serverless"
  db_subnet_group_name                  = aws_db_subnet_group.this.name
  publicly_accessible                   = false
  auto_minor_version_upgrade            = true
  ca_cert_identifier                    = var.ca_cert_identifier
  copy_tags_to_snapshot                 = true
  performance_insights_enabled          = true
  performance_insights_kms_key_id       = var.kms_key_arn
  performance_insights_retention_period = var.performance_insights_retention_days
  monitoring_interval                   = 60
  monitoring_role_arn                   = aws_iam_role.monitoring.arn
  tags                                  = var.tags
}
