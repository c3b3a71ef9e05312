output "url" {
  description = "DB_WS_PROXY_URL for the Worker."
  value       = "wss://${var.domain_name}/v2"
}

output "alb_dns_name" {
  description = "Point the proxy hostname here (DNS-only CNAME in Cloudflare)."
  value       = aws_lb.this.dns_name
}

output "certificate_validation_records" {
  description = "CNAME records that validate the ACM certificate (add them in Cloudflare DNS)."
  value = [for option in aws_acm_certificate.this.domain_validation_options : {
    name  = option.resource_record_name
    type  = option.resource_record_type
    value = option.resource_record_value
  }]
}

output "ecr_repository_url" {
  description = "Push the ws-proxy image here."
  value       = aws_ecr_repository.this.repository_url
}

output "task_security_group_id" {
  description = "Security group of the tasks (allowed into the RDS Proxy)."
  value       = aws_security_group.tasks.id
}

output "alb_arn_suffix" {
  description = "CloudWatch dimension LoadBalancer."
  value       = aws_lb.this.arn_suffix
}

output "target_group_arn_suffix" {
  description = "CloudWatch dimension TargetGroup."
  value       = aws_lb_target_group.this.arn_suffix
}

output "ecs_cluster_name" {
  description = "ECS cluster name."
  value       = aws_ecs_cluster.this.name
}

output "ecs_service_name" {
  description = "ECS service name."
  value       = aws_ecs_service.this.name
}
