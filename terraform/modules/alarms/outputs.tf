output "topic_arn" {
  description = "SNS topic of the operators."
  value       = aws_sns_topic.operators.arn
}
