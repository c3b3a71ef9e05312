# One CloudWatch dashboard for the data tier, the first screen of docs/runbooks.md's database
# sections: Aurora CPU, connections and freeable memory, RDS Proxy connections, the ws-proxy
# service's CPU and memory, and the ALB's 5xx.
data "aws_region" "current" {}

locals {
  region = data.aws_region.current.name
  widget = { type = "metric", width = 12, height = 6 }
  widgets = [
    { title = "Aurora CPU (%)", metrics = [["AWS/RDS", "CPUUtilization", "DBClusterIdentifier", var.cluster_id]] },
    { title = "Aurora connections", metrics = [["AWS/RDS", "DatabaseConnections", "DBClusterIdentifier", var.cluster_id]] },
    { title = "Aurora freeable memory (bytes)", metrics = [["AWS/RDS", "FreeableMemory", "DBClusterIdentifier", var.cluster_id]] },
    {
      title = "RDS Proxy connections"
      metrics = [
        ["AWS/RDS", "ClientConnections", "ProxyName", var.proxy_name],
        ["AWS/RDS", "DatabaseConnections", "ProxyName", var.proxy_name],
      ]
    },
    {
      title = "ws-proxy CPU and memory (%)"
      metrics = [
        ["AWS/ECS", "CPUUtilization", "ClusterName", var.ecs_cluster_name, "ServiceName", var.ecs_service_name],
        ["AWS/ECS", "MemoryUtilization", "ClusterName", var.ecs_cluster_name, "ServiceName", var.ecs_service_name],
      ]
    },
    {
      title = "ALB 5xx"
      metrics = [
        ["AWS/ApplicationELB", "HTTPCode_ELB_5XX_Count", "LoadBalancer", var.alb_arn_suffix, { stat = "Sum" }],
        ["AWS/ApplicationELB", "HTTPCode_Target_5XX_Count", "LoadBalancer", var.alb_arn_suffix, { stat = "Sum" }],
      ]
    },
  ]
}

resource "aws_cloudwatch_dashboard" "data_tier" {
  dashboard_name = "${var.name}-data-tier"
  dashboard_body = jsonencode({
    widgets = [for i, w in local.widgets : merge(local.widget, {
      x = (i % 2) * 12
      y = floor(i / 2) * 6
      properties = {
        title   = w.title
        region  = local.region
        metrics = w.metrics
        stat    = "Average"
        period  = 300
        view    = "timeSeries"
      }
    })]
  })
}
