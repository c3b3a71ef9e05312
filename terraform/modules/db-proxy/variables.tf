variable "name" {
  description = "Name prefix, e.g. securebase-prod."
  type        = string
}

variable "vpc_id" {
  description = "VPC of the landing zone."
  type        = string
}

variable "private_subnet_ids" {
  description = "Private subnets for the proxy."
  type        = list(string)
}

variable "client_security_group_ids" {
  description = "Security groups allowed to connect: the WebSocket proxy tasks (operators go to Aurora directly)."
  type        = list(string)
}

variable "database_security_group_id" {
  description = "Security group of the Aurora cluster (the proxy's only egress)."
  type        = string
}

variable "cluster_id" {
  description = "Aurora cluster identifier."
  type        = string
}

variable "login_role_secret_arns" {
  description = "Login name => Secrets Manager secret ARN ({username,password}): the owner and API roles, and the RDS-managed master secret (first migration)."
  type        = map(string)
}

variable "worker_db_users" {
  description = "The Worker's logins: login_role_secret_arns key => Postgres user. The proxy requires IAM auth for them, and the Worker's IAM user may rds-db:connect as exactly these users."
  type        = map(string)
  default = {
    api       = "sb_api"
    jobs      = "sb_jobs"
    analytics = "sb_analytics"
  }
}

variable "secrets_kms_key_arns" {
  description = "CMKs of those secrets (the proxy role may decrypt through Secrets Manager only)."
  type        = list(string)
}

variable "idle_client_timeout_seconds" {
  description = "Close client connections idle this long. The Worker closes its connection after each request; 30 min covers migrations and psql sessions."
  type        = number
  default     = 1800
}

variable "max_connections_percent" {
  description = "Share of the database's max_connections the proxy may open."
  type        = number
  default     = 90
}

variable "max_idle_connections_percent" {
  description = "Share kept open while idle."
  type        = number
  default     = 50
}

variable "connection_borrow_timeout_seconds" {
  description = "How long a client waits for a pooled connection before an error."
  type        = number
  default     = 30
}

variable "tags" {
  description = "Tags for every resource."
  type        = map(string)
  default     = {}
}
