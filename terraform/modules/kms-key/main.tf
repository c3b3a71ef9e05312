# One customer-managed KMS key with yearly rotation and an explicit key policy: administrators get
# named management actions (no kms:*), account principals may use the key only through the AWS
# services listed (kms:ViaService), and service principals (CloudWatch Logs, CloudWatch alarms
# publishing to SNS) only the data-key actions they need, scoped to this account's resources.
data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}
data "aws_region" "current" {}

locals {
  account_id = data.aws_caller_identity.current.account_id
  root_arn   = "arn:${data.aws_partition.current.partition}:iam::${local.account_id}:root"
  admins     = length(var.admin_principal_arns) > 0 ? var.admin_principal_arns : [local.root_arn]

  admin_actions = [
    "kms:CancelKeyDeletion",
    "kms:CreateAlias",
    "kms:DeleteAlias",
    "kms:DescribeKey",
    "kms:DisableKey",
    "kms:DisableKeyRotation",
    "kms:EnableKey",
    "kms:EnableKeyRotation",
    "kms:GetKeyPolicy",
    "kms:GetKeyRotationStatus",
    "kms:ListAliases",
    "kms:ListGrants",
    "kms:ListKeyPolicies",
    "kms:ListResourceTags",
    "kms:PutKeyPolicy",
    "kms:RevokeGrant",
    "kms:RotateKeyOnDemand",
    "kms:ScheduleKeyDeletion",
    "kms:TagResource",
    "kms:UntagResource",
    "kms:UpdateAlias",
    "kms:UpdateKeyDescription",
  ]
  use_actions = [
    "kms:CreateGrant",
    "kms:Decrypt",
    "kms:DescribeKey",
    "kms:Encrypt",
    "kms:GenerateDataKey",
    "kms:GenerateDataKeyWithoutPlaintext",
    "kms:ReEncryptFrom",
    "kms:ReEncryptTo",
  ]

  via_services = [for service in var.via_services : "${service}.${data.aws_region.current.name}.amazonaws.com"]

  statements = concat(
    [{
      Sid       = "KeyAdministration"
      Effect    = "Allow"
      Principal = { AWS = local.admins }
      Action    = local.admin_actions
      Resource  = "*"
    }],
    length(local.via_services) == 0 ? [] : [{
      Sid       = "UseThroughAwsServices"
      Effect    = "Allow"
      Principal = { AWS = local.root_arn }
      Action    = local.use_actions
      Resource  = "*"
      Condition = {
        StringEquals = {
          "kms:CallerAccount" = local.account_id
          "kms:ViaService"    = local.via_services
        }
      }
    }],
    length(var.service_principals) == 0 ? [] : [{
      Sid       = "UseByServicePrincipals"
      Effect    = "Allow"
      Principal = { Service = var.service_principals }
      Action    = ["kms:Decrypt", "kms:DescribeKey", "kms:Encrypt", "kms:GenerateDataKey", "kms:ReEncryptFrom", "kms:ReEncryptTo"]
      Resource  = "*"
      Condition = {
        StringEquals = { "aws:SourceAccount" = local.account_id }
      }
    }],
    var.allow_cloudwatch_logs ? [{
      Sid       = "UseByCloudWatchLogsOfThisAccount"
      Effect    = "Allow"
      Principal = { Service = "logs.${data.aws_region.current.name}.amazonaws.com" }
      Action    = ["kms:Decrypt", "kms:DescribeKey", "kms:Encrypt", "kms:GenerateDataKey", "kms:ReEncryptFrom", "kms:ReEncryptTo"]
      Resource  = "*"
      Condition = {
        ArnLike = { "kms:EncryptionContext:aws:logs:arn" = "arn:${data.aws_partition.current.partition}:logs:${data.aws_region.current.name}:${local.account_id}:*" }
      }
    }] : [],
  )
}

resource "aws_kms_key" "this" {
  description             = var.description
  enable_key_rotation     = true
  rotation_period_in_days = var.rotation_period_in_days
  deletion_window_in_days = var.deletion_window_in_days
  is_enabled              = true
  policy = jsonencode({
    Version   = "2012-10-17"
    Statement = local.statements
  })
  tags = var.tags
}

resource "aws_kms_alias" "this" {
  name          = "alias/${var.alias}"
  target_key_id = aws_kms_key.this.key_id
}
