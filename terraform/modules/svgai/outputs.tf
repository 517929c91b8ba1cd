output "resource_ids" {
  description = "Kubernetes resources deployed from the overlay."
  value = concat(
    keys(kustomization_resource.namespaces),
    keys(kustomization_resource.resources),
    keys(kustomization_resource.webhooks),
  )
}

output "redis_url" {
  description = "SVGAI_REDIS_URL of the managed Redis (null when the in-cluster Redis is used)."
  value       = var.managed_redis ? "rediss://${aws_elasticache_replication_group.redis[0].primary_endpoint_address}:6380/0" : null
}
