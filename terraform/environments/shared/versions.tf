terraform {
  required_version = ">= 1.6"
  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 5.100"
    }
  }
  # State in the landing zone's state bucket: terraform init -backend-config=backend.hcl
  # (see backend.hcl.example). CI checks run `terraform init -backend=false`.
  backend "s3" {}
}

provider "aws" {
  region = var.region
  default_tags {
    tags = {
      "securebase:environment" = var.environment
      "securebase:stack"       = "edge-api-data-tier"
      "managed-by"             = "terraform"
    }
  }
}
