variable "name" {
  description = "Name prefix, e.g. securebase-prod."
  type        = string
}

variable "vpc_id" {
  description = "VPC of the landing zone."
  type        = string
}

variable "public_subnet_ids" {
  description = "Public subnets for the internet-facing ALB."
  type        = list(string)
}

variable "private_subnet_ids" {
  description = "Private subnets for the tasks."
  type        = list(string)
}

variable "domain_name" {
  description = "Hostname of the proxy (DB_WS_PROXY_URL = wss://<domain_name>/v2); ACM certificate subject."
  type        = string
}

variable "cloudflare_ipv4_cidrs" {
  description = "Cloudflare's published IPv4 ranges (https://www.cloudflare.com/ips-v4): the only sources allowed to the ALB."
  type        = list(string)
  validation {
    condition     = length(var.cloudflare_ipv4_cidrs) > 0 && alltrue([for cidr in var.cloudflare_ipv4_cidrs : can(cidrhost(cidr, 0)) && tonumber(split("/", cidr)[1]) >= 8])
    error_message = "List Cloudflare's ranges; no open range such as 0.0.0.0/0."
  }
}

variable "cloudflare_ipv6_cidrs" {
  description = "Cloudflare's published IPv6 ranges (https://www.cloudflare.com/ips-v6); empty keeps the ALB IPv4-only."
  type        = list(string)
  default     = []
  validation {
    condition     = alltrue([for cidr in var.cloudflare_ipv6_cidrs : can(cidrhost(cidr, 0)) && tonumber(split("/", cidr)[1]) >= 16])
    error_message = "List Cloudflare's ranges; no open range such as ::/0."
  }
}

variable "https_egress_cidrs" {
  description = "Where the tasks may reach HTTPS (ECR, CloudWatch Logs): the VPC endpoints' subnets, or the NAT path of the landing zone."
  type        = list(string)
}

variable "rds_proxy_endpoint" {
  description = "RDS Proxy host: the single address the WebSocket proxy may connect to."
  type        = string
}

variable "rds_proxy_security_group_id" {
  description = "Security group of the RDS Proxy (the tasks' Postgres egress)."
  type        = string
}

variable "token_key_secret_arn" {
  description = "Secrets Manager ARN of the admission token key (WSPROXY_TOKEN_KEY; the Worker's DB_PROXY_TOKEN_KEY)."
  type        = string
}

variable "secrets_kms_key_arn" {
  description = "CMK of that secret (decrypted through Secrets Manager only)."
  type        = string
}

variable "max_connections_per_source" {
  description = "Concurrent WebSocket connections one source address may hold (WSPROXY_MAX_PER_SOURCE)."
  type        = number
  default     = 200
}

variable "max_connections" {
  description = "Concurrent WebSocket connections per task (WSPROXY_MAX_CONNECTIONS)."
  type        = number
  default     = 2000
}

variable "kms_key_arn" {
  description = "CMK for the image repository."
  type        = string
}

variable "logs_kms_key_arn" {
  description = "CMK for the log groups and ECS Exec sessions."
  type        = string
}

variable "access_logs_bucket" {
  description = "S3 bucket (landing zone log archive) receiving the ALB access logs."
  type        = string
}

variable "image_tag" {
  description = "Image tag to run (immutable tags: a git commit)."
  type        = string
}

variable "task_cpu" {
  description = "Fargate task CPU units."
  type        = number
  default     = 256
}

variable "task_memory" {
  description = "Fargate task memory (MiB)."
  type        = number
  default     = 512
}

variable "min_tasks" {
  description = "Minimum (and initial) number of tasks; two or more for AZ redundancy."
  type        = number
  default     = 2
}

variable "max_tasks" {
  description = "Maximum number of tasks."
  type        = number
  default     = 6
}

variable "cpu_target_percent" {
  description = "Average CPU the autoscaling keeps."
  type        = number
  default     = 60
}

variable "requests_per_task_target" {
  description = "WebSocket upgrades (ALB requests) per task per minute the autoscaling keeps."
  type        = number
  default     = 3000
}

variable "idle_timeout_seconds" {
  description = "ALB idle timeout: a WebSocket idle this long is closed."
  type        = number
  default     = 120
}

variable "deletion_protection" {
  description = "Refuse deletion of the ALB."
  type        = bool
  default     = true
}

variable "log_retention_days" {
  description = "Retention of the proxy's logs."
  type        = number
  default     = 365
}

variable "tags" {
  description = "Tags for every resource."
  type        = map(string)
  default     = {}
}
