output "dkim_records" {
  description = "The three Easy DKIM CNAME records to add in Cloudflare DNS (DNS only)."
  value = [for token in aws_sesv2_email_identity.domain.dkim_signing_attributes[0].tokens : {
    name  = "${token}._domainkey.${var.domain}"
    type  = "CNAME"
    value = "${token}.dkim.amazonses.com"
  }]
}

output "sender_user_name" {
  description = "IAM user the Worker sends email as (SES_ACCESS_KEY_ID / SES_SECRET_ACCESS_KEY)."
  value       = aws_iam_user.sender.name
}

output "configuration_set_name" {
  description = "SES configuration set applied to every message from the identity."
  value       = aws_sesv2_configuration_set.this.configuration_set_name
}

output "events_topic_arn" {
  description = "SNS topic of bounce and complaint events (the Worker checks TopicArn against it)."
  value       = aws_sns_topic.email_events.arn
}
