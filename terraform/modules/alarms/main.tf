# CloudWatch alarms of the original design (listed in this module's README.md), to one encrypted SNS topic for operators:
# Aurora CPU > 80 %, capacity at its maximum ACU, proxy connections near the proxy's maximum,
# proxy connection failures, and the WebSocket proxy's 5xx and unhealthy targets.
data "aws_caller_identity" "current" {}

resource "aws_sns_topic" "operators" {
  name              = "${var.name}-operators"
  kms_master_key_id = var.kms_key_arn
  tags              = var.tags
}

resource "aws_sns_topic_policy" "operators" {
  arn = aws_sns_topic.operators.arn
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Sid       = "CloudWatchAlarmsOfThisAccount"
      Effect    = "Allow"
      Principal = { Service = "cloudwatch.amazonaws.com" }
      Action    = "sns:Publish"
      Resource  = aws_sns_topic.operators.arn
      Condition = { StringEquals = { "aws:SourceAccount" = data.aws_caller_identity.current.account_id } }
    }]
  })
}

resource "aws_sns_topic_subscription" "email" {
  for_each  = toset(var.operator_emails)
  topic_arn = aws_sns_topic.operators.arn
  protocol  = "email"
  endpoint  = each.value
}

locals {
  actions = [aws_sns_topic.operators.arn]
}

resource "aws_cloudwatch_metric_alarm" "aurora_cpu" {
  alarm_name          = "${var.name}-aurora-cpu-high"
  alarm_description   = "Aurora CPU above 80 % for 10 minutes."
  namespace           = "AWS/RDS"
  metric_name         = "CPUUtilization"
  dimensions          = { DBClusterIdentifier = var.cluster_id }
  statistic           = "Average"
  period              = 300
  evaluation_periods  = 2
  threshold           = 80
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "missing"
  alarm_actions       = local.actions
  ok_actions          = local.actions
  tags                = var.tags
}

resource "aws_cloudwatch_metric_alarm" "aurora_acu_at_max" {
  alarm_name          = "${var.name}-aurora-acu-at-max"
  alarm_description   = "Aurora Serverless v2 has run at its maximum capacity (${var.max_acu} ACU) for 15 minutes: raise max_acu or find the load."
  namespace           = "AWS/RDS"
  metric_name         = "ServerlessDatabaseCapacity"
  dimensions          = { DBClusterIdentifier = var.cluster_id }
  statistic           = "Minimum"
  period              = 300
  evaluation_periods  = 3
  threshold           = var.max_acu
  comparison_operator = "GreaterThanOrEqualToThreshold"
  treat_missing_data  = "missing"
  alarm_actions       = local.actions
  ok_actions          = local.actions
  tags                = var.tags
}

resource "aws_cloudwatch_metric_alarm" "proxy_connections_near_max" {
  alarm_name          = "${var.name}-rds-proxy-connections-near-max"
  alarm_description   = "RDS Proxy uses more than 80 % of the database connections it may open."
  evaluation_periods  = 3
  threshold           = 80
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "missing"
  alarm_actions       = local.actions
  ok_actions          = local.actions

  metric_query {
    id          = "used_percent"
    expression  = "100 * connections / allowed"
    label       = "Proxy database connections, % of allowed"
    return_data = true
  }
  metric_query {
    id = "connections"
    metric {
      namespace   = "AWS/RDS"
      metric_name = "DatabaseConnections"
      dimensions  = { ProxyName = var.proxy_name }
      stat        = "Maximum"
      period      = 60
    }
  }
  metric_query {
    id = "allowed"
    metric {
      namespace   = "AWS/RDS"
      metric_name = "MaxDatabaseConnectionsAllowed"
      dimensions  = { ProxyName = var.proxy_name }
      stat        = "Minimum"
      period      = 60
    }
  }
  tags = var.tags
}

resource "aws_cloudwatch_metric_alarm" "proxy_database_connection_failures" {
  alarm_name          = "${var.name}-rds-proxy-db-connection-failures"
  alarm_description   = "RDS Proxy failed to open database connections (credentials, TLS or capacity)."
  namespace           = "AWS/RDS"
  metric_name         = "DatabaseConnectionsSetupFailed"
  dimensions          = { ProxyName = var.proxy_name }
  statistic           = "Sum"
  period              = 300
  evaluation_periods  = 1
  threshold           = 0
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.actions
  ok_actions          = local.actions
  tags                = var.tags
}

resource "aws_cloudwatch_metric_alarm" "proxy_client_auth_failures" {
  alarm_name          = "${var.name}-rds-proxy-client-auth-failures"
  alarm_description   = "Clients failed to authenticate to the RDS Proxy (a stale password after a rotation, or probing)."
  namespace           = "AWS/RDS"
  metric_name         = "ClientConnectionsSetupFailedAuth"
  dimensions          = { ProxyName = var.proxy_name }
  statistic           = "Sum"
  period              = 300
  evaluation_periods  = 1
  threshold           = var.client_auth_failure_threshold
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.actions
  ok_actions          = local.actions
  tags                = var.tags
}

resource "aws_cloudwatch_metric_alarm" "proxy_pinned_sessions" {
  alarm_name          = "${var.name}-rds-proxy-pinned-sessions"
  alarm_description   = "Client connections pinned to a database connection: something set session state (the tenant context must stay transaction-local)."
  namespace           = "AWS/RDS"
  metric_name         = "DatabaseConnectionsCurrentlySessionPinned"
  dimensions          = { ProxyName = var.proxy_name }
  statistic           = "Maximum"
  period              = 300
  evaluation_periods  = 2
  threshold           = var.pinned_connections_threshold
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.actions
  ok_actions          = local.actions
  tags                = var.tags
}

resource "aws_cloudwatch_metric_alarm" "ws_proxy_5xx" {
  alarm_name          = "${var.name}-ws-proxy-5xx"
  alarm_description   = "The WebSocket proxy (or its ALB) answered with 5xx."
  evaluation_periods  = 2
  threshold           = var.ws_proxy_5xx_threshold
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.actions
  ok_actions          = local.actions

  metric_query {
    id          = "errors"
    expression  = "target + elb"
    label       = "ws-proxy 5xx (targets + ALB)"
    return_data = true
  }
  metric_query {
    id = "target"
    metric {
      namespace   = "AWS/ApplicationELB"
      metric_name = "HTTPCode_Target_5XX_Count"
      dimensions  = { LoadBalancer = var.alb_arn_suffix, TargetGroup = var.target_group_arn_suffix }
      stat        = "Sum"
      period      = 300
    }
  }
  metric_query {
    id = "elb"
    metric {
      namespace   = "AWS/ApplicationELB"
      metric_name = "HTTPCode_ELB_5XX_Count"
      dimensions  = { LoadBalancer = var.alb_arn_suffix }
      stat        = "Sum"
      period      = 300
    }
  }
  tags = var.tags
}

resource "aws_cloudwatch_metric_alarm" "ws_proxy_unhealthy" {
  alarm_name          = "${var.name}-ws-proxy-unhealthy-hosts"
  alarm_description   = "At least one WebSocket proxy task fails its health check."
  namespace           = "AWS/ApplicationELB"
  metric_name         = "UnHealthyHostCount"
  dimensions          = { LoadBalancer = var.alb_arn_suffix, TargetGroup = var.target_group_arn_suffix }
  statistic           = "Maximum"
  period              = 60
  evaluation_periods  = 3
  threshold           = 0
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "breaching"
  alarm_actions       = local.actions
  ok_actions          = local.actions
  tags                = var.tags
}
