# Deploys svgai's kustomize overlay resource by resource (namespace first), and optionally a managed
# Redis whose endpoint goes into the outputs (the prod overlay's SVGAI_REDIS_URL points at it).

data "kustomization_build" "svgai" {
  path = var.overlay_path
}

resource "kustomization_resource" "namespaces" {
  for_each = data.kustomization_build.svgai.ids_prio[0]
  manifest = data.kustomization_build.svgai.manifests[each.value]
}

resource "kustomization_resource" "resources" {
  for_each   = data.kustomization_build.svgai.ids_prio[1]
  manifest   = data.kustomization_build.svgai.manifests[each.value]
  depends_on = [kustomization_resource.namespaces]
}

resource "kustomization_resource" "webhooks" {
  for_each   = data.kustomization_build.svgai.ids_prio[2]
  manifest   = data.kustomization_build.svgai.manifests[each.value]
  depends_on = [kustomization_resource.resources]
}

resource "aws_elasticache_subnet_group" "redis" {
  count      = var.managed_redis ? 1 : 0
  name       = "${var.name}-redis"
  subnet_ids = var.redis_subnet_ids
}

resource "aws_elasticache_replication_group" "redis" {
  count                      = var.managed_redis ? 1 : 0
  replication_group_id       = "${var.name}-redis"
  description                = "svgai job store, result cache and Celery broker"
  engine                     = "redis"
  engine_version             = "7.1"
  node_type                  = var.redis_node_type
  num_cache_clusters         = 2
  automatic_failover_enabled = true
  multi_az_enabled           = true
  port                       = 6380
  subnet_group_name          = aws_elasticache_subnet_group.redis[0].name
  security_group_ids         = var.redis_security_group_ids
  at_rest_encryption_enabled = true
  kms_key_id                 = var.redis_kms_key_arn
  transit_encryption_enabled = true
  auto_minor_version_upgrade = true
  snapshot_retention_limit   = 7
}
