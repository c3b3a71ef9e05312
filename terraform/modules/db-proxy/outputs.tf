output "endpoint" {
  description = "Proxy endpoint (host) the WebSocket proxy connects to on 5432, TLS required."
  value       = aws_db_proxy.this.endpoint
}

output "name" {
  description = "Proxy name (CloudWatch dimension ProxyName)."
  value       = aws_db_proxy.this.name
}

output "security_group_id" {
  description = "Security group of the proxy."
  value       = aws_security_group.proxy.id
}

output "worker_iam_user_name" {
  description = "IAM user the Worker signs its IAM auth tokens with (its access key: DB_IAM_ACCESS_KEY_ID / DB_IAM_SECRET_ACCESS_KEY)."
  value       = aws_iam_user.worker.name
}

output "worker_db_user_arns" {
  description = "rds-db:connect resources the Worker may use (one per Worker login on this proxy)."
  value       = local.worker_db_user_arns
}
