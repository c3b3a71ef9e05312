# The WebSocket proxy the neon serverless driver needs: the Worker speaks Postgres over WebSocket
# (wss://<domain>/v2?address=<rds-proxy>:5432), this service unwraps it to TCP and opens TLS to
# the RDS Proxy. Image: services/ws-proxy/Dockerfile. Internet-facing ALB with an ACM certificate,
# reachable only from Cloudflare's published address ranges; tasks in private subnets.
data "aws_region" "current" {}

locals {
  container_name = "ws-proxy"
  container_port = 8443
  image          = "${aws_ecr_repository.this.repository_url}:${var.image_tag}"
}

# --- image registry ---------------------------------------------------------------------------
resource "aws_ecr_repository" "this" {
  name                 = "${var.name}-ws-proxy"
  image_tag_mutability = "IMMUTABLE"
  image_scanning_configuration {
    scan_on_push = true
  }
  encryption_configuration {
    encryption_type = "KMS"
    kms_key         = var.kms_key_arn
  }
  tags = var.tags
}

resource "aws_ecr_lifecycle_policy" "this" {
  repository = aws_ecr_repository.this.name
  policy = jsonencode({
    rules = [{
      rulePriority = 1
      description  = "Keep the last 30 images (rollback targets)."
      selection    = { tagStatus = "any", countType = "imageCountMoreThan", countNumber = 30 }
      action       = { type = "expire" }
    }]
  })
}

# --- logs -------------------------------------------------------------------------------------
resource "aws_cloudwatch_log_group" "service" {
  name              = "/securebase/${var.name}/ws-proxy"
  retention_in_days = var.log_retention_days
  kms_key_id        = var.logs_kms_key_arn
  tags              = var.tags
}

resource "aws_cloudwatch_log_group" "exec" {
  name              = "/securebase/${var.name}/ws-proxy-exec"
  retention_in_days = var.log_retention_days
  kms_key_id        = var.logs_kms_key_arn
  tags              = var.tags
}

# --- security groups --------------------------------------------------------------------------
resource "aws_security_group" "alb" {
  name        = "${var.name}-ws-proxy-alb-sg"
  description = "WebSocket proxy ALB: HTTPS only from Cloudflare's published ranges."
  vpc_id      = var.vpc_id
  tags        = var.tags
}

resource "aws_vpc_security_group_ingress_rule" "alb_from_cloudflare_v4" {
  for_each          = toset(var.cloudflare_ipv4_cidrs)
  security_group_id = aws_security_group.alb.id
  description       = "HTTPS from Cloudflare ${each.value}"
  ip_protocol       = "tcp"
  from_port         = 443
  to_port           = 443
  cidr_ipv4         = each.value
}

resource "aws_vpc_security_group_ingress_rule" "alb_from_cloudflare_v6" {
  for_each          = toset(var.cloudflare_ipv6_cidrs)
  security_group_id = aws_security_group.alb.id
  description       = "HTTPS from Cloudflare ${each.value}"
  ip_protocol       = "tcp"
  from_port         = 443
  to_port           = 443
  cidr_ipv6         = each.value
}

resource "aws_vpc_security_group_egress_rule" "alb_to_tasks" {
  security_group_id            = aws_security_group.alb.id
  description                  = "HTTPS to the proxy tasks"
  ip_protocol                  = "tcp"
  from_port                    = local.container_port
  to_port                      = local.container_port
  referenced_security_group_id = aws_security_group.tasks.id
}

resource "aws_security_group" "tasks" {
  name        = "${var.name}-ws-proxy-tasks-sg"
  description = "WebSocket proxy tasks: from the ALB only; out to the RDS Proxy and HTTPS (image pulls, logs)."
  vpc_id      = var.vpc_id
  tags        = var.tags
}

resource "aws_vpc_security_group_ingress_rule" "tasks_from_alb" {
  security_group_id            = aws_security_group.tasks.id
  description                  = "HTTPS from the ALB"
  ip_protocol                  = "tcp"
  from_port                    = local.container_port
  to_port                      = local.container_port
  referenced_security_group_id = aws_security_group.alb.id
}

resource "aws_vpc_security_group_egress_rule" "tasks_to_rds_proxy" {
  security_group_id            = aws_security_group.tasks.id
  description                  = "Postgres to the RDS Proxy"
  ip_protocol                  = "tcp"
  from_port                    = 5432
  to_port                      = 5432
  referenced_security_group_id = var.rds_proxy_security_group_id
}

resource "aws_vpc_security_group_egress_rule" "tasks_https" {
  for_each          = toset(var.https_egress_cidrs)
  security_group_id = aws_security_group.tasks.id
  description       = "HTTPS to AWS APIs (ECR, CloudWatch Logs) via ${each.value}"
  ip_protocol       = "tcp"
  from_port         = 443
  to_port           = 443
  cidr_ipv4         = each.value
}

# --- TLS certificate --------------------------------------------------------------------------
resource "aws_acm_certificate" "this" {
  domain_name       = var.domain_name
  validation_method = "DNS"
  lifecycle {
    create_before_destroy = true
  }
  tags = var.tags
}

# Waits until the validation CNAME (output certificate_validation_records) exists in DNS.
resource "aws_acm_certificate_validation" "this" {
  certificate_arn = aws_acm_certificate.this.arn
}

# --- load balancer ----------------------------------------------------------------------------
resource "aws_lb" "this" {
  #checkov:skip=CKV2_AWS_28:Ingress is limited to Cloudflare's address ranges and the only client is our Worker; request filtering (WAF) happens at Cloudflare's edge in front of the Worker. The listener carries only the Postgres-over-WebSocket tunnel.
  #checkov:skip=CKV2_AWS_76:No WAF on this ALB (see CKV2_AWS_28), so no Log4j managed rule either; the proxy is Node, not Java.
  name                       = "${var.name}-ws-proxy"
  internal                   = false
  load_balancer_type         = "application"
  security_groups            = [aws_security_group.alb.id]
  subnets                    = var.public_subnet_ids
  ip_address_type            = length(var.cloudflare_ipv6_cidrs) > 0 ? "dualstack" : "ipv4"
  drop_invalid_header_fields = true
  desync_mitigation_mode     = "strictest"
  enable_deletion_protection = var.deletion_protection
  idle_timeout               = var.idle_timeout_seconds

  access_logs {
    bucket  = var.access_logs_bucket
    prefix  = "${var.name}/ws-proxy"
    enabled = true
  }

  tags = var.tags
}

resource "aws_lb_target_group" "this" {
  name                 = "${var.name}-ws-proxy"
  port                 = local.container_port
  protocol             = "HTTPS"
  target_type          = "ip"
  vpc_id               = var.vpc_id
  deregistration_delay = 30

  health_check {
    enabled             = true
    protocol            = "HTTPS"
    path                = "/healthz"
    matcher             = "200"
    interval            = 15
    timeout             = 5
    healthy_threshold   = 2
    unhealthy_threshold = 3
  }

  tags = var.tags
}

resource "aws_lb_listener" "https" {
  load_balancer_arn = aws_lb.this.arn
  port              = 443
  protocol          = "HTTPS"
  ssl_policy        = "ELBSecurityPolicy-TLS13-1-2-2021-06"
  certificate_arn   = aws_acm_certificate_validation.this.certificate_arn

  default_action {
    type             = "forward"
    target_group_arn = aws_lb_target_group.this.arn
  }

  tags = var.tags
}

# --- ECS --------------------------------------------------------------------------------------
resource "aws_ecs_cluster" "this" {
  name = "${var.name}-ws-proxy"

  setting {
    name  = "containerInsights"
    value = "enabled"
  }

  configuration {
    execute_command_configuration {
      kms_key_id = var.logs_kms_key_arn
      logging    = "OVERRIDE"
      log_configuration {
        cloud_watch_encryption_enabled = true
        cloud_watch_log_group_name     = aws_cloudwatch_log_group.exec.name
      }
    }
  }

  tags = var.tags
}

resource "aws_iam_role" "execution" {
  name        = "${var.name}-ws-proxy-execution"
  description = "ECS agent: pull the ws-proxy image, write its logs, read its token key."
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { Service = "ecs-tasks.amazonaws.com" }
      Action    = "sts:AssumeRole"
    }]
  })
  tags = var.tags
}

resource "aws_iam_role_policy" "execution" {
  name = "pull-image-write-logs"
  role = aws_iam_role.execution.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid      = "AuthenticateToEcr"
        Effect   = "Allow"
        Action   = ["ecr:GetAuthorizationToken"]
        Resource = "*" # the action has no resource-level permissions
      },
      {
        Sid      = "PullThisImage"
        Effect   = "Allow"
        Action   = ["ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"]
        Resource = [aws_ecr_repository.this.arn]
      },
      {
        Sid      = "DecryptImageLayers"
        Effect   = "Allow"
        Action   = ["kms:Decrypt"]
        Resource = [var.kms_key_arn]
        Condition = {
          StringEquals = { "kms:ViaService" = "ecr.${data.aws_region.current.name}.amazonaws.com" }
        }
      },
      {
        Sid      = "ReadTokenKey"
        Effect   = "Allow"
        Action   = ["secretsmanager:GetSecretValue"]
        Resource = [var.token_key_secret_arn]
      },
      {
        Sid      = "DecryptTokenKey"
        Effect   = "Allow"
        Action   = ["kms:Decrypt"]
        Resource = [var.secrets_kms_key_arn]
        Condition = {
          StringEquals = { "kms:ViaService" = "secretsmanager.${data.aws_region.current.name}.amazonaws.com" }
        }
      },
      {
        Sid      = "WriteLogs"
        Effect   = "Allow"
        Action   = ["logs:CreateLogStream", "logs:PutLogEvents"]
        Resource = ["${aws_cloudwatch_log_group.service.arn}:*"]
      },
    ]
  })
}

# The running proxy needs no AWS API at all: its task role has no policies. It is distinct from
# the execution role so that nothing the container runs inherits the pull/log rights.
resource "aws_iam_role" "task" {
  name        = "${var.name}-ws-proxy-task"
  description = "The ws-proxy container itself: no permissions."
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { Service = "ecs-tasks.amazonaws.com" }
      Action    = "sts:AssumeRole"
    }]
  })
  tags = var.tags
}

resource "aws_ecs_task_definition" "this" {
  family                   = "${var.name}-ws-proxy"
  requires_compatibilities = ["FARGATE"]
  network_mode             = "awsvpc"
  cpu                      = var.task_cpu
  memory                   = var.task_memory
  execution_role_arn       = aws_iam_role.execution.arn
  task_role_arn            = aws_iam_role.task.arn

  runtime_platform {
    operating_system_family = "LINUX"
    cpu_architecture        = "ARM64"
  }

  # Ephemeral, task-local: the self-signed certificate for ALB -> task TLS is written here at start.
  volume {
    name = "tls"
  }

  container_definitions = jsonencode([{
    name                   = local.container_name
    image                  = local.image
    essential              = true
    user                   = "1000:1000"
    privileged             = false
    readonlyRootFilesystem = true
    portMappings           = [{ containerPort = local.container_port, protocol = "tcp" }]
    mountPoints            = [{ sourceVolume = "tls", containerPath = "/run/tls", readOnly = false }]
    linuxParameters = {
      initProcessEnabled = true
      capabilities       = { drop = ["ALL"] }
    }
    environment = [
      { name = "PORT", value = tostring(local.container_port) },
      { name = "WSPROXY_ALLOW", value = "${var.rds_proxy_endpoint}:5432" },
      { name = "WSPROXY_UPSTREAM_TLS", value = "verify-full" },
      { name = "WSPROXY_TLS_DIR", value = "/run/tls" },
      { name = "WSPROXY_MAX_PER_SOURCE", value = tostring(var.max_connections_per_source) },
      { name = "WSPROXY_MAX_CONNECTIONS", value = tostring(var.max_connections) },
      # The source of a connection is the last X-Forwarded-For entry the ALB appends: the tasks
      # accept traffic from the ALB's security group only.
      { name = "WSPROXY_TRUST_FORWARDED_FOR", value = "true" },
    ]
    # Admission tokens (docs/security.md, "WebSocket proxy"): injected by the ECS agent, never
    # in the task definition or Terraform state.
    secrets = [{ name = "WSPROXY_TOKEN_KEY", valueFrom = var.token_key_secret_arn }]
    logConfiguration = {
      logDriver = "awslogs"
      options = {
        awslogs-group         = aws_cloudwatch_log_group.service.name
        awslogs-region        = data.aws_region.current.name
        awslogs-stream-prefix = "ws-proxy"
      }
    }
  }])

  tags = var.tags
}

resource "aws_ecs_service" "this" {
  name                              = "ws-proxy"
  cluster                           = aws_ecs_cluster.this.id
  task_definition                   = aws_ecs_task_definition.this.arn
  launch_type                       = "FARGATE"
  platform_version                  = "LATEST"
  desired_count                     = var.min_tasks
  enable_execute_command            = false
  health_check_grace_period_seconds = 30
  propagate_tags                    = "SERVICE"

  network_configuration {
    subnets          = var.private_subnet_ids
    security_groups  = [aws_security_group.tasks.id]
    assign_public_ip = false
  }

  load_balancer {
    target_group_arn = aws_lb_target_group.this.arn
    container_name   = local.container_name
    container_port   = local.container_port
  }

  deployment_circuit_breaker {
    enable   = true
    rollback = true
  }

  lifecycle {
    ignore_changes = [desired_count] # owned by autoscaling
  }

  depends_on = [aws_lb_listener.https]
  tags       = var.tags
}

# --- autoscaling ------------------------------------------------------------------------------
resource "aws_appautoscaling_target" "this" {
  service_namespace  = "ecs"
  resource_id        = "service/${aws_ecs_cluster.this.name}/${aws_ecs_service.this.name}"
  scalable_dimension = "ecs:service:DesiredCount"
  min_capacity       = var.min_tasks
  max_capacity       = var.max_tasks
}

resource "aws_appautoscaling_policy" "cpu" {
  name               = "${var.name}-ws-proxy-cpu"
  policy_type        = "TargetTrackingScaling"
  service_namespace  = aws_appautoscaling_target.this.service_namespace
  resource_id        = aws_appautoscaling_target.this.resource_id
  scalable_dimension = aws_appautoscaling_target.this.scalable_dimension

  target_tracking_scaling_policy_configuration {
    target_value       = var.cpu_target_percent
    scale_in_cooldown  = 300
    scale_out_cooldown = 60
    predefined_metric_specification {
      predefined_metric_type = "ECSServiceAverageCPUUtilization"
    }
  }
}

resource "aws_appautoscaling_policy" "requests" {
  name               = "${var.name}-ws-proxy-requests"
  policy_type        = "TargetTrackingScaling"
  service_namespace  = aws_appautoscaling_target.this.service_namespace
  resource_id        = aws_appautoscaling_target.this.resource_id
  scalable_dimension = aws_appautoscaling_target.this.scalable_dimension

  target_tracking_scaling_policy_configuration {
    target_value       = var.requests_per_task_target
    scale_in_cooldown  = 300
    scale_out_cooldown = 60
    predefined_metric_specification {
      predefined_metric_type = "ALBRequestCountPerTarget"
      resource_label         = "${aws_lb.this.arn_suffix}/${aws_lb_target_group.this.arn_suffix}"
    }
  }
}
