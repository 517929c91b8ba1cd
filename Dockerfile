# svgai images, one multi-stage build (plain `docker build` and BuildKit alike: no syntax directive, no
# RUN --mount, nothing pulled but the base image):
#   docker build --target api -t svgai-api .          gateway (svgai serve, port 8000)
#   docker build --target worker -t svgai-worker .    Celery worker, CPU (onnxruntime)
#   docker build --target worker-gpu -t svgai-worker-gpu .   the worker with onnxruntime's CUDA provider
# Every dependency is installed at the version of the lock, constraints.txt (`make lock`). The final
# stages hold no compiler or build tools. The code and its data files (trained models in shared/models/,
# Tier 2's portfolio, the web page's assets) are copied in as they are in the tree, so nothing is
# downloaded at run time. Every stage runs as an unprivileged user and writes only to /tmp, so a
# read-only root filesystem works (mount /tmp as an emptyDir/tmpfs).

FROM python:3.11-slim-bookworm AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_CONSTRAINT=/src/constraints.txt
WORKDIR /src
COPY pyproject.toml README.md constraints.txt ./
# a virtual environment with svgai's locked dependencies (all have binary wheels), copied whole into the
# runtime stage; the lock goes with it for the GPU stage's onnxruntime-gpu. First from pyproject.toml and
# the lock alone (no package directories yet: `pip install .` brings the dependencies and an empty svgai),
# so this layer survives code changes; then svgai itself over it.
RUN python -m venv /opt/venv \
    && /opt/venv/bin/pip install . \
    && cp constraints.txt /opt/venv/constraints.txt
COPY api ./api
COPY cli ./cli
COPY shared ./shared
COPY workers ./workers
RUN /opt/venv/bin/pip install --no-deps --force-reinstall .

FROM python:3.11-slim-bookworm AS runtime
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1 PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 \
    PATH=/opt/venv/bin:$PATH HOME=/tmp TMPDIR=/tmp PYTHONPATH=/app SVGAI_REDIS_URL=redis://redis:6379/0
RUN groupadd --gid 10001 svgai \
    && useradd --uid 10001 --gid 10001 --no-create-home --shell /usr/sbin/nologin svgai
COPY --from=build /opt/venv /opt/venv
# the source tree, owned by root (read-only to the app), first on sys.path: it carries every data file
COPY api /app/api
COPY cli /app/cli
COPY shared /app/shared
COPY workers /app/workers
RUN python -m compileall -q /app && python -c "import api.app, workers.app"
USER 10001
WORKDIR /tmp

FROM runtime AS api
EXPOSE 8000
HEALTHCHECK --interval=15s --timeout=3s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import urllib.request as u; u.urlopen('http://127.0.0.1:8000/healthz', timeout=2)"]
CMD ["svgai", "serve", "--host", "0.0.0.0", "--port", "8000"]

FROM runtime AS worker
# SIGTERM starts Celery's warm shutdown (no new jobs, running ones finish): give the container longer
# than the largest hard time limit of a job (workers/app.py HARD_LIMIT_S = 135 s) before SIGKILL
# (docker-compose stop_grace_period, Kubernetes terminationGracePeriodSeconds).
STOPSIGNAL SIGTERM
# the worker's Prometheus metrics (SVGAI_WORKER_METRICS_PORT)
EXPOSE 9808
HEALTHCHECK --interval=30s --timeout=20s --start-period=30s --retries=3 \
    CMD ["sh", "-c", "celery -A workers.app inspect ping -d celery@$HOSTNAME --timeout 5 >/dev/null"]
CMD ["svgai", "worker", "--queues", "tier2,tier3,webhooks", "--concurrency", "2"]

FROM worker AS worker-gpu
USER root
# onnxruntime-gpu (the lock's release, the same as the CPU package's) with the CUDA 13 and cuDNN libraries
# from pip wheels: no CUDA base image, the node needs only the NVIDIA driver (>= 580, CUDA 13). The wheels'
# libraries carry no RPATH, so shared/learned.py preloads them (onnxruntime.preload_dlls) before creating
# a session, logs the provider each session got, and reports it in /readyz; without a usable GPU it warns
# and runs on the CPU.
RUN pip uninstall -y onnxruntime && pip install -c /opt/venv/constraints.txt "onnxruntime-gpu[cuda,cudnn]"
USER 10001
CMD ["svgai", "worker", "--queues", "tier3", "--concurrency", "4"]
