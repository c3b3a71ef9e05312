output "cluster_id" {
  description = "Cluster identifier (CloudWatch dimension DBClusterIdentifier)."
  value       = aws_rds_cluster.this.cluster_identifier
}

output "cluster_arn" {
  description = "Cluster ARN."
  value       = aws_rds_cluster.this.arn
}

output "writer_endpoint" {
  description = "Writer endpoint (reached only through the RDS Proxy)."
  value       = aws_rds_cluster.this.endpoint
}

output "database_name" {
  description = "Database the migrations create and run in."
  value       = var.database_name
}

output "master_user_secret_arn" {
  description = "Secrets Manager secret of the master user, managed and rotated by RDS."
  value       = aws_rds_cluster.this.master_user_secret[0].secret_arn
}

output "security_group_id" {
  description = "Security group of the cluster."
  value       = aws_security_group.database.id
}

output "max_acu" {
  description = "Configured maximum capacity (for the ACU alarm)."
  value       = var.max_acu
}
