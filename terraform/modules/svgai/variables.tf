variable "overlay_path" {
  description = "Path of the kustomize overlay to deploy (k8s/overlays/dev, prod or prod-hpa)."
  type        = string
}

variable "api_keys" {
  description = "Accepted Bearer keys of the gateway (SVGAI_API_KEYS); empty = open mode, for local use only."
  type        = list(string)
  default     = []
  sensitive   = true
}

variable "webhook_secret" {
  description = "HMAC key of the webhook signatures (SVGAI_WEBHOOK_SECRET)."
  type        = string
  sensitive   = true

  validation {
    condition     = length(var.webhook_secret) >= 16
    error_message = "webhook_secret must be at least 16 characters."
  }
}

variable "managed_redis" {
  description = "Create a managed Redis (AWS ElastiCache, TLS, AUTH, Multi-AZ) instead of the in-cluster one; use with the prod overlays."
  type        = bool
  default     = false
}

variable "name" {
  description = "Name prefix of the cloud resources."
  type        = string
  default     = "svgai"
}

variable "redis_node_type" {
  description = "ElastiCache node type of the managed Redis."
  type        = string
  default     = "cache.t4g.medium"
}

variable "redis_subnet_ids" {
  description = "Private subnets of the managed Redis (reachable from the cluster's nodes)."
  type        = list(string)
  default     = []
}

variable "redis_security_group_ids" {
  description = "Security groups allowing the cluster's nodes to reach Redis on 6380."
  type        = list(string)
  default     = []
}

variable "redis_kms_key_arn" {
  description = "KMS key for encryption at rest of the managed Redis (null: the AWS-managed key)."
  type        = string
  default     = null
}

variable "redis_auth_token" {
  description = "AUTH token of the managed Redis (16-128 characters); required when managed_redis is on."
  type        = string
  default     = null
  sensitive   = true
}
