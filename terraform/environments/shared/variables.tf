variable "environment" {
  description = "Environment name (dev, staging, prod)."
  type        = string
}

variable "region" {
  description = "AWS region of the data tier."
  type        = string
  default     = "us-east-1"
}

# --- network: from the landing zone, not created here -----------------------------------------
variable "vpc_id" {
  description = "VPC of the landing zone."
  type        = string
}

variable "private_subnet_ids" {
  description = "Private subnets (two or more AZs): Aurora, RDS Proxy, proxy tasks."
  type        = list(string)
}

variable "public_subnet_ids" {
  description = "Public subnets for the WebSocket proxy's ALB."
  type        = list(string)
}

variable "https_egress_cidrs" {
  description = "Where the proxy tasks reach AWS APIs over HTTPS (VPC endpoints' subnets or the NAT path)."
  type        = list(string)
}

variable "bastion_security_group_ids" {
  description = "Optional operators' bastion groups allowed into Aurora directly (migrations); empty: none."
  type        = list(string)
  default     = []
}

variable "access_logs_bucket" {
  description = "Landing zone log-archive bucket for ALB access logs."
  type        = string
}

# --- edge -------------------------------------------------------------------------------------
variable "ws_proxy_domain" {
  description = "Hostname of the WebSocket proxy, e.g. db-ws.securebase.io."
  type        = string
}

variable "ws_proxy_image_tag" {
  description = "ws-proxy image tag (the git commit pushed to ECR)."
  type        = string
}

variable "cloudflare_ipv4_cidrs" {
  description = "Cloudflare's published IPv4 ranges (https://www.cloudflare.com/ips-v4), checked 2026-11."
  type        = list(string)
  default = [
    "173.245.48.0/20",
    "103.21.244.0/22",
    "103.22.200.0/22",
    "103.31.4.0/22",
    "141.101.64.0/18",
    "108.162.192.0/18",
    "190.93.240.0/20",
    "188.114.96.0/20",
    "197.234.240.0/22",
    "198.41.128.0/17",
    "162.158.0.0/15",
    "104.16.0.0/13",
    "104.24.0.0/14",
    "172.64.0.0/13",
    "131.0.72.0/22",
  ]
}

variable "cloudflare_ipv6_cidrs" {
  description = "Cloudflare's published IPv6 ranges (https://www.cloudflare.com/ips-v6); needs dual-stack public subnets, so empty by default."
  type        = list(string)
  default     = []
}

variable "operator_emails" {
  description = "Who receives the alarms."
  type        = list(string)
  default     = []
}

variable "email_domain" {
  description = "Domain the Worker sends email from (SES identity with DKIM), e.g. securebase.io."
  type        = string
}

variable "api_base_url" {
  description = "The API's public base URL (edge Worker), e.g. https://api.securebase.io: SNS delivers bounce and complaint events to its /v1/email/ses-notifications."
  type        = string
}
