output "dashboard_name" {
  description = "CloudWatch dashboard of the data tier."
  value       = aws_cloudwatch_dashboard.data_tier.dashboard_name
}
