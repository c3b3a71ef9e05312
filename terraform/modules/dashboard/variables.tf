variable "name" {
  description = "Name prefix, e.g. securebase-prod (the dashboard is <name>-data-tier)."
  type        = string
}

variable "cluster_id" {
  description = "Aurora cluster identifier."
  type        = string
}

variable "proxy_name" {
  description = "RDS Proxy name."
  type        = string
}

variable "ecs_cluster_name" {
  description = "ECS cluster of the WebSocket proxy."
  type        = string
}

variable "ecs_service_name" {
  description = "ECS service of the WebSocket proxy."
  type        = string
}

variable "alb_arn_suffix" {
  description = "WebSocket proxy ALB (CloudWatch dimension LoadBalancer)."
  type        = string
}
