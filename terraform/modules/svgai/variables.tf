variable "overlay_path" {
  description = "Path of the kustomize overlay to deploy (k8s/overlays/dev or k8s/overlays/prod)."
  type        = string
}

variable "managed_redis" {
  description = "Create a managed Redis (AWS ElastiCache, TLS, Multi-AZ) instead of the in-cluster one."
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
  description = "Security groups allowing the cluster's nodes to reach Redis on 6379."
  type        = list(string)
  default     = []
}

variable "redis_kms_key_arn" {
  description = "KMS key for encryption at rest of the managed Redis."
  type        = string
  default     = null
}
