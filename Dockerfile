# syntax=docker/dockerfile:1
# svgai images. Targets: api (gateway), worker (CPU, onnxruntime), worker-gpu (onnxruntime CUDA provider).
#   docker build --target api -t svgai-api .     docker build --target worker -t svgai-worker .
# The final stages hold no compiler or build tools; the trained models ship inside the package
# (shared/models/), so nothing is downloaded at run time. Every stage runs as an unprivileged user and
# writes only to /tmp, so a read-only root filesystem works (mount /tmp as an emptyDir/tmpfs).

ARG PYTHON_IMAGE=python:3.11-slim-bookworm

FROM ${PYTHON_IMAGE} AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /src
COPY pyproject.toml README.md ./
COPY api ./api
COPY cli ./cli
COPY shared ./shared
COPY workers ./workers
RUN pip wheel --wheel-dir /wheels .

FROM ${PYTHON_IMAGE} AS runtime
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1 PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 \
    TMPDIR=/tmp SVGAI_REDIS_URL=redis://redis:6379/0
RUN --mount=type=bind,from=build,source=/wheels,target=/wheels \
    pip install /wheels/*.whl \
    && useradd --uid 10001 --no-create-home --shell /usr/sbin/nologin svgai
USER 10001
WORKDIR /tmp

FROM runtime AS api
EXPOSE 8000
HEALTHCHECK --interval=15s --timeout=3s --start-period=10s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=2)"]
CMD ["svgai", "serve", "--host", "0.0.0.0", "--port", "8000"]

FROM runtime AS worker
# Celery's warm shutdown on SIGTERM finishes the running job; give it the longest hard limit (135 s).
STOPSIGNAL SIGTERM
HEALTHCHECK --interval=30s --timeout=10s --start-period=30s --retries=3 \
    CMD ["sh", "-c", "celery -A workers.app inspect ping -d celery@$HOSTNAME --timeout 5 >/dev/null"]
CMD ["svgai", "worker", "--queues", "tier2,tier3,webhooks", "--concurrency", "2"]

FROM worker AS worker-gpu
USER root
# onnxruntime-gpu with CUDA and cuDNN from pip wheels (no CUDA base image needed); the model loader
# picks the CUDA provider when it is available and falls back to the CPU otherwise.
RUN pip uninstall -y onnxruntime && pip install "onnxruntime-gpu[cuda,cudnn]>=1.21"
USER 10001
