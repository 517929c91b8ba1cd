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
