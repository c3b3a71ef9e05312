variable "name" {
  description = "Name prefix, e.g. securebase-prod."
  type        = string
}

variable "vpc_id" {
  description = "VPC of the landing zone (not created here)."
  type        = string
}

variable "private_subnet_ids" {
  description = "Private subnets (at least two AZs) for the cluster."
  type        = list(string)
  validation {
    condition     = length(var.private_subnet_ids) >= 2
    error_message = "Aurora needs subnets in at least two availability zones."
  }
}

variable "client_security_group_id" {
  description = "The only security group allowed to reach Postgres (the RDS Proxy's)."
  type        = string
}

variable "operator_security_group_ids" {
  description = "Operators' bastion groups that may reach Postgres directly (migrations as the owner or master, which are not on the RDS Proxy); empty: none."
  type        = list(string)
  default     = []
}

variable "kms_key_arn" {
  description = "CMK for storage, the master user secret and Performance Insights."
  type        = string
}

variable "logs_kms_key_arn" {
  description = "CMK for the exported Postgres log group."
  type        = string
}

variable "engine_version" {
  description = "Aurora PostgreSQL version (pgcrypto is available in every supported version)."
  type        = string
  default     = "17.4"
}

variable "parameter_group_family" {
  description = "Parameter group family matching engine_version."
  type        = string
  default     = "aurora-postgresql17"
}

variable "database_name" {
  description = "Database `npm run db:migrate` creates (owned by the owner role) and the Worker uses."
  type        = string
  default     = "securebase"
}

variable "master_username" {
  description = "RDS master user (password managed by RDS in Secrets Manager). Used once, to create the owner role."
  type        = string
  default     = "sb_master"
}

variable "min_acu" {
  description = "Serverless v2 minimum capacity (ACU)."
  type        = number
  default     = 0.5
}

variable "max_acu" {
  description = "Serverless v2 maximum capacity (ACU)."
  type        = number
  default     = 4
}

variable "instance_count" {
  description = "Writer plus readers; two or more spreads the cluster over AZs (failover)."
  type        = number
  default     = 1
}

variable "backup_retention_days" {
  description = "Automated backup (PITR) retention."
  type        = number
  default     = 7
  validation {
    condition     = var.backup_retention_days >= 7 && var.backup_retention_days <= 35
    error_message = "Keep 7 to 35 days of backups."
  }
}

variable "backup_window" {
  description = "Daily backup window (UTC)."
  type        = string
  default     = "03:00-04:00"
}

variable "maintenance_window" {
  description = "Weekly maintenance window (UTC)."
  type        = string
  default     = "sun:04:30-sun:05:30"
}

variable "deletion_protection" {
  description = "Refuse deletion of the cluster."
  type        = bool
  default     = true
}

variable "skip_final_snapshot" {
  description = "Delete without a final snapshot (dev only)."
  type        = bool
  default     = false
}

variable "ca_cert_identifier" {
  description = "Server certificate authority of the instances."
  type        = string
  default     = "rds-ca-rsa2048-g1"
}

variable "performance_insights_retention_days" {
  description = "Performance Insights retention (7 is the free tier)."
  type        = number
  default     = 7
}

variable "log_min_duration_ms" {
  description = "Log statements slower than this (ms)."
  type        = number
  default     = 1000
}

variable "log_retention_days" {
  description = "Retention of the exported Postgres logs."
  type        = number
  default     = 365
}

variable "tags" {
  description = "Tags for every resource."
  type        = map(string)
  default     = {}
}
