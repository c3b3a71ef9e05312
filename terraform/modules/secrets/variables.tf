variable "name" {
  description = "Name prefix of the secrets, e.g. securebase-prod."
  type        = string
}

variable "kms_key_arn" {
  description = "CMK encrypting every secret."
  type        = string
}

variable "login_roles" {
  description = "Secret name suffix => Postgres login role."
  type        = map(string)
  default = {
    owner     = "sb_owner"
    api       = "sb_api"
    jobs      = "sb_jobs"
    analytics = "sb_analytics"
  }
}

variable "app_keys" {
  description = "Secret name suffix => description, for the Worker's keys."
  type        = map(string)
  default = {
    "db-context-key"        = "DB_CONTEXT_KEY: kid:base64url secret signing the tenant context (also in app_private.context_keys)."
    "data-encryption-key"   = "DATA_ENCRYPTION_KEY: kid:base64url(32 bytes)[,older] AES-GCM key list."
    "session-signing-keys"  = "SESSION_SIGNING_KEYS: kid:base64url secret list, first one signs."
    "ses-secret-access-key" = "SES_SECRET_ACCESS_KEY: SigV4 secret of the SES sender whose id is SES_ACCESS_KEY_ID in wrangler.toml."
    "db-proxy-token-key"    = "DB_PROXY_TOKEN_KEY (Worker) = WSPROXY_TOKEN_KEY (ws-proxy task): base64url HMAC key signing the proxy's admission tokens."
  }
}

variable "recovery_window_in_days" {
  description = "Days a deleted secret stays recoverable."
  type        = number
  default     = 30
}

variable "tags" {
  description = "Tags for every resource."
  type        = map(string)
  default     = {}
}
