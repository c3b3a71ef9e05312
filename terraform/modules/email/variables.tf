variable "name" {
  description = "Name prefix, e.g. securebase-prod."
  type        = string
}

variable "domain" {
  description = "Sending domain (the SES identity), e.g. securebase.io."
  type        = string
}

variable "kms_key_arn" {
  description = "CMK of the bounce/complaint topic (must let ses.amazonaws.com generate data keys)."
  type        = string
}

variable "notifications_url" {
  description = "The Worker's SNS endpoint, https://<api host>/v1/email/ses-notifications."
  type        = string
  validation {
    condition     = startswith(var.notifications_url, "https://") && endswith(var.notifications_url, "/v1/email/ses-notifications")
    error_message = "notifications_url must be https://<api host>/v1/email/ses-notifications."
  }
}

variable "tags" {
  description = "Tags for every resource."
  type        = map(string)
  default     = {}
}
