output "login_role_secret_arns" {
  description = "Secret name suffix (owner, api, jobs, analytics) => secret ARN."
  value       = { for key, secret in aws_secretsmanager_secret.login_role : key => secret.arn }
}

output "login_role_secret_names" {
  description = "Secret name suffix => secret name (for aws secretsmanager commands)."
  value       = { for key, secret in aws_secretsmanager_secret.login_role : key => secret.name }
}

output "app_key_secret_arns" {
  description = "Worker key => secret ARN (the ws-proxy task reads db-proxy-token-key)."
  value       = { for key, secret in aws_secretsmanager_secret.app_key : key => secret.arn }
}

output "app_key_secret_names" {
  description = "Worker key => secret name."
  value       = { for key, secret in aws_secretsmanager_secret.app_key : key => secret.name }
}
