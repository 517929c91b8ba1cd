# terraform init && terraform apply   (uses your current kubeconfig context)
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

variable "kubeconfig_path" {
  description = "kubeconfig of the target cluster."
  type        = string
  default     = "~/.kube/config"
}

variable "aws_region" {
  description = "Region of the managed Redis (unused resources are not created when it is off)."
  type        = string
  default     = "eu-west-1"
}

provider "kustomization" {
  kubeconfig_path = var.kubeconfig_path
}

provider "aws" {
  region = var.aws_region
}

module "svgai" {
  source        = "../../modules/svgai"
  overlay_path  = "${path.module}/../../../k8s/overlays/dev"
  managed_redis = false
}

output "resources" {
  value = module.svgai.resource_ids
}
