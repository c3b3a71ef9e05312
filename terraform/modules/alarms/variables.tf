variable "name" {
  description = "Name prefix, e.g. securebase-prod."
  type        = string
}

variable "kms_key_arn" {
  description = "CMK of the SNS topic (must let cloudwatch.amazonaws.com generate data keys)."
  type        = string
}

variable "operator_emails" {
  description = "Addresses subscribed to the operators topic (each confirms by email)."
  type        = list(string)
  default     = []
}

variable "cluster_id" {
  description = "Aurora cluster identifier."
  type        = string
}

variable "max_acu" {
  description = "The cluster's maximum ACU."
  type        = number
}

variable "proxy_name" {
  description = "RDS Proxy name."
  type        = string
}

variable "alb_arn_suffix" {
  description = "WebSocket proxy ALB (CloudWatch dimension LoadBalancer)."
  type        = string
}

variable "target_group_arn_suffix" {
  description = "WebSocket proxy target group (CloudWatch dimension TargetGroup)."
  type        = string
}

variable "client_auth_failure_threshold" {
  description = "Failed client authentications per 5 minutes before alarming."
  type        = number
  default     = 5
}

variable "pinned_connections_threshold" {
  description = "Pinned client connections tolerated."
  type        = number
  default     = 5
}

variable "ws_proxy_5xx_threshold" {
  description = "5xx answers per 5 minutes before alarming."
  type        = number
  default     = 10
}

variable "tags" {
  description = "Tags for every resource."
  type        = map(string)
  default     = {}
}
