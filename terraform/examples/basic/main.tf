# A root module: svgai on the cluster of your kubeconfig context.
#   terraform init
#   terraform apply -var environment=dev -var webhook_secret=...            (in-cluster Redis)
#   terraform apply -var environment=prod -var webhook_secret=... -var 'api_keys=["..."]' \
#     -var redis_auth_token=... -var 'redis_subnet_ids=[...]' -var 'redis_security_group_ids=[...]'
terraform {
  required_version = ">= 1.5.0, < 2.0.0"
  required_providers {
    kustomization = {
      source  = "kbst/kustomization"
      version = "0.9.6"
    }
    aws = {
      source  = "hashicorp/aws"
      version = "5.74.0"
    }
  }
}

variable "environment" {
  description = "dev: overlays/dev with Redis in the cluster; prod: overlays/prod with a managed ElastiCache Redis."
  type        = string
  default     = "dev"

  validation {
    condition     = contains(["dev", "prod"], var.environment)
    error_message = "environment is dev or prod."
  }
}

variable "kubeconfig_path" {
  description = "kubeconfig of the target cluster."
  type        = string
  default     = "~/.kube/config"
}

variable "kube_context" {
  description = "Context of the kubeconfig to deploy to (null: the current one)."
  type        = string
  default     = null
}

variable "aws_region" {
  description = "Region of the managed Redis (prod)."
  type        = string
  default     = "eu-west-1"
}

variable "api_keys" {
  description = "Accepted Bearer keys of the gateway."
  type        = list(string)
  default     = []
  sensitive   = true
}

variable "webhook_secret" {
  description = "HMAC key of the webhook signatures."
  type        = string
  sensitive   = true
}

variable "redis_auth_token" {
  description = "AUTH token of the managed Redis (prod)."
  type        = string
  default     = null
  sensitive   = true
}

variable "redis_subnet_ids" {
  description = "Private subnets of the managed Redis (prod)."
  type        = list(string)
  default     = []
}

variable "redis_security_group_ids" {
  description = "Security groups letting the cluster's nodes reach the managed Redis (prod)."
  type        = list(string)
  default     = []
}

provider "kustomization" {
  kubeconfig_path = var.kubeconfig_path
  context         = var.kube_context
}

provider "aws" {
  region = var.aws_region
  # dev creates no AWS resource: do not ask for credentials there
  skip_credentials_validation = var.environment == "dev"
  skip_requesting_account_id  = var.environment == "dev"
}

module "svgai" {
  source                   = "../../modules/svgai"
  overlay_path             = "${path.module}/../../../k8s/overlays/${var.environment}"
  api_keys                 = var.api_keys
  webhook_secret           = var.webhook_secret
  managed_redis            = var.environment == "prod"
  redis_auth_token         = var.redis_auth_token
  redis_subnet_ids         = var.redis_subnet_ids
  redis_security_group_ids = var.redis_security_group_ids
}

output "resources" {
  description = "Kubernetes resources deployed."
  value       = module.svgai.resource_ids
}

output "redis_endpoint" {
  description = "The managed Redis (prod), or null."
  value       = module.svgai.redis_endpoint
}
