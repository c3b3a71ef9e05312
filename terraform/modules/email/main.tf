# Email through Amazon SES: the sending domain with Easy DKIM, a configuration set whose bounce
# and complaint events go to an encrypted SNS topic, and that topic's HTTPS subscription to the
# Worker (POST /v1/email/ses-notifications verifies the SNS signature, confirms the subscription
# and marks those addresses undeliverable; SES's own suppression below stays on as a second net).
# The Worker sends as an IAM user that may only send from this identity; its access key is made
# by the operator, never here.
data "aws_caller_identity" "current" {}
data "aws_region" "current" {}
data "aws_partition" "current" {}

locals {
  account_id            = data.aws_caller_identity.current.account_id
  configuration_set_arn = "arn:${data.aws_partition.current.partition}:ses:${data.aws_region.current.name}:${local.account_id}:configuration-set/${var.name}-email"
}

resource "aws_sesv2_configuration_set" "this" {
  configuration_set_name = "${var.name}-email"
  delivery_options {
    tls_policy = "REQUIRE"
  }
  reputation_options {
    reputation_metrics_enabled = true
  }
  sending_options {
    sending_enabled = true
  }
  # SES drops sends to addresses that bounced or complained (a second net beside the Worker's list).
  suppression_options {
    suppressed_reasons = ["BOUNCE", "COMPLAINT"]
  }
  tags = var.tags
}

resource "aws_sesv2_email_identity" "domain" {
  email_identity         = var.domain
  configuration_set_name = aws_sesv2_configuration_set.this.configuration_set_name
  dkim_signing_attributes {
    next_signing_key_length = "RSA_2048_BIT"
  }
  tags = var.tags
}

resource "aws_sns_topic" "email_events" {
  name              = "${var.name}-email-events"
  kms_master_key_id = var.kms_key_arn
  tags              = var.tags
}

resource "aws_sns_topic_policy" "email_events" {
  arn = aws_sns_topic.email_events.arn
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Sid       = "SesOfThisConfigurationSetOnly"
      Effect    = "Allow"
      Principal = { Service = "ses.amazonaws.com" }
      Action    = "sns:Publish"
      Resource  = aws_sns_topic.email_events.arn
      Condition = {
        StringEquals = { "aws:SourceAccount" = local.account_id }
        ArnLike      = { "aws:SourceArn" = local.configuration_set_arn }
      }
    }]
  })
}

resource "aws_sesv2_configuration_set_event_destination" "bounces_and_complaints" {
  configuration_set_name = aws_sesv2_configuration_set.this.configuration_set_name
  event_destination_name = "bounces-and-complaints"
  event_destination {
    enabled              = true
    matching_event_types = ["BOUNCE", "COMPLAINT"]
    sns_destination {
      topic_arn = aws_sns_topic.email_events.arn
    }
  }
  depends_on = [aws_sns_topic_policy.email_events]
}

# The Worker confirms the subscription itself (it fetches the SubscribeURL of the signed
# SubscriptionConfirmation), so this is "pending confirmation" until the Worker, with this
# topic's ARN in SES_NOTIFICATIONS_TOPIC_ARN, answers it (docs/deploy.md step 5).
resource "aws_sns_topic_subscription" "worker" {
  topic_arn              = aws_sns_topic.email_events.arn
  protocol               = "https"
  endpoint               = var.notifications_url
  endpoint_auto_confirms = false
  raw_message_delivery   = false
}

resource "aws_iam_user" "sender" {
  name = "${var.name}-ses-sender"
  tags = var.tags
}

resource "aws_iam_group" "sender" {
  name = "${var.name}-ses-sender"
}

resource "aws_iam_group_policy" "send_only" {
  name  = "send-from-${replace(var.domain, ".", "-")}"
  group = aws_iam_group.sender.name
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Sid      = "SendFromThisIdentityOnly"
      Effect   = "Allow"
      Action   = ["ses:SendEmail"]
      Resource = [aws_sesv2_email_identity.domain.arn, local.configuration_set_arn]
    }]
  })
}

resource "aws_iam_user_group_membership" "sender" {
  user   = aws_iam_user.sender.name
  groups = [aws_iam_group.sender.name]
}
