variable "alias" {
  description = "Alias without the alias/ prefix, e.g. securebase-prod-database."
  type        = string
}

variable "description" {
  description = "What the key protects."
  type        = string
}

variable "via_services" {
  description = "AWS services (short names: rds, secretsmanager, ecr, sns) through which account principals may use the key."
  type        = list(string)
  default     = []
}

variable "service_principals" {
  description = "Service principals that use the key directly (e.g. cloudwatch.amazonaws.com for alarms publishing to an encrypted SNS topic), limited to this account."
  type        = list(string)
  default     = []
}

variable "allow_cloudwatch_logs" {
  description = "Let CloudWatch Logs encrypt this account's log groups with the key."
  type        = bool
  default     = false
}

variable "admin_principal_arns" {
  description = "Principals that administer (not use) the key. Empty: the account root, i.e. IAM policies in this account decide."
  type        = list(string)
  default     = []
}

variable "rotation_period_in_days" {
  description = "Automatic rotation period of the key material."
  type        = number
  default     = 365
  validation {
    condition     = var.rotation_period_in_days >= 90 && var.rotation_period_in_days <= 365
    error_message = "KMS allows 90 to 2560 days; we rotate at least yearly."
  }
}

variable "deletion_window_in_days" {
  description = "Waiting period before a scheduled deletion takes effect."
  type        = number
  default     = 30
}

variable "tags" {
  description = "Tags for every resource."
  type        = map(string)
  default     = {}
}
