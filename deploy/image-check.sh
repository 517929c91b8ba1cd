#!/usr/bin/env bash
# make image-check: build the `api` and `worker` images with the legacy builder and with BuildKit, run
# the compose stack (Compose v1, docker-compose, as Debian ships it), submit a Tier 2 job, tear down.
# Needs a Docker daemon: where none answers, Debian's docker.io is installed and `dockerd` started with
# the vfs storage driver (and stopped at the end). Where no image registry is reachable, the two base
# images are stand-ins built from Debian bookworm packages with mmdebstrap and tagged with the names the
# Dockerfile and docker-compose.yml use:
#   python:3.11-slim-bookworm  <- python3 (3.11), python3-venv, tzdata, ca-certificates, passwd
#   redis:7.4.1-alpine         <- redis-server (Debian's 7.0), redis-tools
# (plus the host's own CA certificates, /usr/local/share/ca-certificates, for pip behind a TLS proxy).
# Prints each step's time and the image sizes. Not part of `make test` (minutes, root, a daemon).
set -euo pipefail
cd "$(dirname "$0")/.."
DOCKER=${DOCKER:-/usr/bin/docker}    # Debian's client: its `docker build` speaks BuildKit without buildx
COMPOSE=(docker-compose -p svgai-image-check)
DATA=${IMAGE_CHECK_DATA:-/var/lib/svgai-image-check}
PORT=8000
started_dockerd=""

step() { printf '\n== %s (%s)\n' "$*" "$(date -u +%H:%M:%S)"; }
cleanup() {
    "${COMPOSE[@]}" down -v --remove-orphans >/dev/null 2>&1 || true
    if [[ -n "$started_dockerd" ]]; then
        kill "$started_dockerd" 2>/dev/null || true
        wait "$started_dockerd" 2>/dev/null || true
        echo "dockerd (pid $started_dockerd) stopped"
    fi
}
trap cleanup EXIT

step "tools"
missing=()
[[ -x /usr/bin/docker && -x /usr/sbin/dockerd ]] || missing+=(docker.io)
command -v docker-compose >/dev/null || missing+=(docker-compose)
command -v mmdebstrap >/dev/null || missing+=(mmdebstrap)
[[ -x /usr/sbin/docker-init || -x /usr/bin/docker-init ]] || missing+=(tini)  # compose's init: true
if ((${#missing[@]})); then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
"$DOCKER" --version; docker-compose --version; mmdebstrap --version

step "daemon"
export DOCKER_HOST=${DOCKER_HOST:-unix:///var/run/docker.sock}
if ! "$DOCKER" info >/dev/null 2>&1; then
    mkdir -p "$DATA"
    dockerd --storage-driver=vfs --data-root "$DATA/docker" >"$DATA/dockerd.log" 2>&1 &
    started_dockerd=$!
    for _ in $(seq 60); do "$DOCKER" info >/dev/null 2>&1 && break; sleep 1; done
    "$DOCKER" info >/dev/null || { tail -20 "$DATA/dockerd.log"; exit 1; }
    echo "dockerd started (pid $started_dockerd, vfs storage, $DATA/docker)"
fi

standin() {  # standin IMAGE PACKAGES [customize-hook [docker-import-change]]
    local image=$1 packages=$2 hook=${3:-true} change=${4:-LABEL svgai.standin.entry=none}
    local recipe
    recipe=$(printf '%s\n' "$packages" "$hook" "$change" | sha256sum | cut -c1-16)
    # a registry's image (no svgai.standin label) or a stand-in of this same recipe is kept
    if label=$("$DOCKER" image inspect -f '{{index .Config.Labels "svgai.standin"}}' "$image" 2>/dev/null) \
            && [[ -z $label || $label == "<no value>" || $label == "$recipe" ]]; then
        echo "$image: present"
        return
    fi
    if [[ -z ${label:-} ]] && timeout 60 "$DOCKER" pull -q "$image" >/dev/null 2>&1; then
        echo "$image: pulled"
        return
    fi
    echo "$image: no registry answers; stand-in from Debian bookworm ($packages)"
    # the host's extra CA certificates too: where a TLS-inspecting proxy stands between this machine and
    # PyPI, pip inside the build must trust what the host trusts
    mmdebstrap --variant=minbase --include="$packages" --customize-hook="$hook" \
        --customize-hook='cp /usr/local/share/ca-certificates/*.crt "$1"/usr/local/share/ca-certificates/ 2>/dev/null || true' \
        --customize-hook='chroot "$1" sh -c "command -v update-ca-certificates >/dev/null && update-ca-certificates || true"' \
        --customize-hook='rm -rf "$1"/var/lib/apt/lists/* "$1"/var/cache/apt/*' bookworm - \
        | "$DOCKER" import --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
            --change 'ENV LANG=C.UTF-8' --change "LABEL svgai.standin=$recipe" --change "$change" - "$image"
}

step "base images"
standin python:3.11-slim-bookworm python3,python3-venv,tzdata,ca-certificates,passwd \
    'ln -s /usr/bin/python3 "$1"/usr/local/bin/python'
# like the official image: data in /data, and no protected mode (it would refuse the other containers,
# which connect without a password from outside the loopback)
standin redis:7.4.1-alpine redis-server,redis-tools \
    'mkdir -p "$1"/data && printf "#!/bin/sh\nexec /usr/bin/redis-server \"\$@\" --protected-mode no\n" \
        >"$1"/usr/local/bin/redis-server && chmod 755 "$1"/usr/local/bin/redis-server' 'WORKDIR /data'

for builder in legacy buildkit; do
    kit=$([[ $builder == buildkit ]] && echo 1 || echo 0)
    for target in api worker; do
        step "build $target, $builder builder"
        start=$(date +%s)
        DOCKER_BUILDKIT=$kit "$DOCKER" build --target "$target" -t "svgai-$target:0.1.0" . >"$DATA/build-$target-$builder.log" 2>&1 \
            || { tail -40 "$DATA/build-$target-$builder.log"; exit 1; }
        echo "svgai-$target:0.1.0 built in $(($(date +%s) - start)) s"
    done
done

step "compose up (redis, api, worker)"
"${COMPOSE[@]}" up -d --no-build redis api worker
for _ in $(seq 90); do
    curl -fsS "http://127.0.0.1:$PORT/readyz" >/dev/null 2>&1 && break
    sleep 2
done
curl -fsS "http://127.0.0.1:$PORT/readyz" || { "${COMPOSE[@]}" logs --tail=40; exit 1; }
echo
"${COMPOSE[@]}" ps

step "a Tier 2 job"
job=$(curl -fsS -F file=@examples/logo_commodore.png -F tier=2 "http://127.0.0.1:$PORT/v1/jobs")
id=$(python3 -c 'import json, sys; print(json.loads(sys.argv[1])["id"])' "$job")
for _ in $(seq 120); do
    job=$(curl -fsS "http://127.0.0.1:$PORT/v1/jobs/$id")
    status=$(python3 -c 'import json, sys; print(json.loads(sys.argv[1])["status"])' "$job")
    [[ $status == queued || $status == running ]] || break
    sleep 1
done
python3 -c 'import json, sys; j = json.loads(sys.argv[1]); r = j["result"] or {}
print("job", j["id"], j["status"], "tier", j["tier"], "ssim", r.get("ssim"), "bytes", r.get("bytes"), j["error"] or "")' "$job"
[[ $status == succeeded ]]
curl -fsS "http://127.0.0.1:$PORT/v1/jobs/$id/svg" | head -c 120; echo

step "compose down (workers' warm shutdown)"
start=$(date +%s)
"${COMPOSE[@]}" down -v --remove-orphans
echo "down in $(($(date +%s) - start)) s"

step "image sizes"
"$DOCKER" image ls --format '{{.Repository}}:{{.Tag}}  {{.Size}}' | grep -E '^(svgai-|python:|redis:)' | sort
echo "image-check passed"
