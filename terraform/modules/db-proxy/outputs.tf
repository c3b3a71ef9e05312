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
