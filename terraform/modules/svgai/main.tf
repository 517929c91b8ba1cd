# Deploys svgai's kustomize overlay resource by resource (namespace first, then the rest) with the kbst
# kustomization provider. The Secret templates of the overlay are filled from this module's sensitive
# variables, and with `managed_redis` an ElastiCache replication group (TLS, AUTH, Multi-AZ) is created
# and wired in: SVGAI_REDIS_URL of the app and the address/password of KEDA's queue-length triggers.
#
# Two renderings of the overlay: `ids` without any patch, and `svgai` with them. The patches read values
# known only after apply on a first prod run (the ElastiCache endpoint), which defers `svgai` to apply
# time; a for_each over its ids_prio would fail at plan ("Invalid for_each argument"). The patches change
# values only, never which objects exist, so the resources are keyed by `ids` (known at plan) and take
# their manifests from `svgai`.

locals {
  redis_host = var.managed_redis ? aws_elasticache_replication_group.redis[0].primary_endpoint_address : ""
  redis_url  = var.managed_redis ? "rediss://:${var.redis_auth_token}@${local.redis_host}:6380/0" : ""

  secret_operations = concat(
    [
      { op = "replace", path = "/stringData/SVGAI_API_KEYS", value = jsonencode(var.api_keys) },
      { op = "replace", path = "/stringData/SVGAI_WEBHOOK_SECRET", value = var.webhook_secret },
    ],
    var.managed_redis ? [{ op = "add", path = "/stringData/SVGAI_REDIS_URL", value = local.redis_url }] : [],
  )

  # KEDA's Redis list triggers: (ScaledObject, number of triggers) of the overlays (dev has no GPU one;
  # a patch whose target is absent changes nothing)
  scaled_objects = { "worker-cpu" = 2, "worker-gpu" = 1 }
}

data "kustomization_overlay" "ids" {
  resources = [var.overlay_path]
}

data "kustomization_overlay" "svgai" {
  resources = [var.overlay_path]

  patches {
    target {
      kind = "Secret"
      name = "svgai-secrets"
    }
    patch = jsonencode(local.secret_operations)
  }

  dynamic "patches" {
    for_each = var.managed_redis ? local.scaled_objects : {}
    content {
      target {
        kind = "ScaledObject"
        name = patches.key
      }
      patch = jsonencode(flatten([for i in range(patches.value) : [
        { op = "add", path = "/spec/triggers/${i}/metadata/address", value = "${local.redis_host}:6380" },
        { op = "add", path = "/spec/triggers/${i}/metadata/enableTLS", value = "true" },
      ]]))
    }
  }

  dynamic "patches" {
    for_each = var.managed_redis ? ["svgai-redis-auth"] : []
    content {
      target {
        kind = "Secret"
        name = patches.value
      }
      patch = jsonencode([{ op = "replace", path = "/stringData/password", value = var.redis_auth_token }])
    }
  }
}

resource "kustomization_resource" "namespaces" {
  for_each = data.kustomization_overlay.ids.ids_prio[0]
  manifest = data.kustomization_overlay.svgai.manifests[each.value]
}

resource "kustomization_resource" "resources" {
  for_each   = data.kustomization_overlay.ids.ids_prio[1]
  manifest   = data.kustomization_overlay.svgai.manifests[each.value]
  depends_on = [kustomization_resource.namespaces]
}

resource "kustomization_resource" "webhooks" {
  for_each   = data.kustomization_overlay.ids.ids_prio[2]
  manifest   = data.kustomization_overlay.svgai.manifests[each.value]
  depends_on = [kustomization_resource.resources]
}

resource "aws_elasticache_subnet_group" "redis" {
  count      = var.managed_redis ? 1 : 0
  name       = "${var.name}-redis"
  subnet_ids = var.redis_subnet_ids
}

# The job store and Celery broker must not lose keys silently: a full Redis refuses writes (the gateway
# answers 503) instead of evicting queued jobs or job records.
resource "aws_elasticache_parameter_group" "redis" {
  count  = var.managed_redis ? 1 : 0
  name   = "${var.name}-redis7"
  family = "redis7"

  parameter {
    name  = "maxmemory-policy"
    value = "noeviction"
  }
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
  auth_token                 = var.redis_auth_token
  auto_minor_version_upgrade = true
  snapshot_retention_limit   = 7
  parameter_group_name       = aws_elasticache_parameter_group.redis[0].name

  lifecycle {
    precondition {
      condition     = var.redis_auth_token != null && length(coalesce(var.redis_auth_token, "")) >= 16
      error_message = "managed_redis needs redis_auth_token (16 to 128 characters)."
    }
    precondition {
      condition     = length(var.redis_subnet_ids) > 0 && length(var.redis_security_group_ids) > 0
      error_message = "managed_redis needs redis_subnet_ids and redis_security_group_ids."
    }
  }
}
