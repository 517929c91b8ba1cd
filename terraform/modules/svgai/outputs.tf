output "resource_ids" {
  description = "Kubernetes resources deployed from the overlay."
  value = concat(
    keys(kustomization_resource.namespaces),
    keys(kustomization_resource.resources),
    keys(kustomization_resource.webhooks),
  )
}

output "redis_endpoint" {
  description = "host:port of the managed Redis (null when the in-cluster Redis is used)."
  value       = var.managed_redis ? "${local.redis_host}:6380" : null
}
