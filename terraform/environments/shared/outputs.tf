output "db_ws_proxy_url" {
  description = "wrangler.toml DB_WS_PROXY_URL of this environment."
  value       = module.ws_proxy.url
}

output "rds_proxy_endpoint" {
  description = "Host in DATABASE_URL / JOBS_DATABASE_URL / ANALYTICS_DATABASE_URL (port 5432)."
  value       = module.db_proxy.endpoint
}

output "worker_iam_user_name" {
  description = "IAM user whose access key the Worker signs RDS IAM auth tokens with (wrangler secrets DB_IAM_ACCESS_KEY_ID / DB_IAM_SECRET_ACCESS_KEY)."
  value       = module.db_proxy.worker_iam_user_name
}

output "database_name" {
  description = "Database name in the URLs."
  value       = module.database.database_name
}

output "master_user_secret_arn" {
  description = "RDS-managed master secret (first migration only)."
  value       = module.database.master_user_secret_arn
}

output "writer_endpoint" {
  description = "Aurora writer endpoint (the owner bootstrap from a bastion)."
  value       = module.database.writer_endpoint
}

output "login_role_secret_names" {
  description = "Secrets Manager names of the login roles' {username,password}."
  value       = module.secrets.login_role_secret_names
}

output "app_key_secret_names" {
  description = "Secrets Manager names of the Worker's keys."
  value       = module.secrets.app_key_secret_names
}

output "ecr_repository_url" {
  description = "Where to push the ws-proxy image."
  value       = module.ws_proxy.ecr_repository_url
}

output "ws_proxy_alb_dns_name" {
  description = "CNAME target for ws_proxy_domain (DNS only, not proxied)."
  value       = module.ws_proxy.alb_dns_name
}

output "certificate_validation_records" {
  description = "CNAMEs to add in DNS so ACM issues the proxy's certificate."
  value       = module.ws_proxy.certificate_validation_records
}

output "ecs_cluster_name" {
  description = "ECS cluster of the proxy."
  value       = module.ws_proxy.ecs_cluster_name
}

output "ecs_service_name" {
  description = "ECS service of the proxy."
  value       = module.ws_proxy.ecs_service_name
}

output "operators_topic_arn" {
  description = "SNS topic the alarms publish to."
  value       = module.alarms.topic_arn
}

output "ses_dkim_records" {
  description = "Easy DKIM CNAME records of the sending domain, for Cloudflare DNS (DNS only)."
  value       = module.email.dkim_records
}

output "ses_sender_user_name" {
  description = "IAM user the Worker sends email as (wrangler.toml SES_ACCESS_KEY_ID, secret SES_SECRET_ACCESS_KEY)."
  value       = module.email.sender_user_name
}

output "ses_events_topic_arn" {
  description = "SNS topic of SES bounces and complaints (the TopicArn the Worker's notification route must accept)."
  value       = module.email.events_topic_arn
}

output "data_tier_dashboard_name" {
  description = "CloudWatch dashboard of the data tier."
  value       = module.dashboard.dashboard_name
}
