"""The HTTP API against a real Redis and a real Celery worker (no fakes). One gateway (TestClient) for
the whole module; API keys are switched on per test through the settings, which are read per request."""

import json
import os
from collections.abc import Iterator

import pytest
import redis
from fastapi.testclient import TestClient

from shared.images import decode_image
from shared.quality import measure
from tests.conftest import disc
from tests.image_files import favicon_ico, huge_header_png, ico_bytes, png_bytes
from tests.service_fixtures import (  # noqa: F401 - fixtures
    WebhookReceiver,
    celery_worker,
    redis_url,
    service_env,
)

LOGO = png_bytes(disc(96, 30.0, (30, 90, 200)))
KEYS = ["key-a", "key-b", "key-c"]
BURST = 5


@pytest.fixture(scope="module")
def client(service_env: dict[str, str], celery_worker: object) -> Iterator[TestClient]:  # noqa: F811
    from api.app import app

    with TestClient(app) as c:
        yield c


@pytest.fixture
def with_keys(service_env: dict[str, str]) -> Iterator[None]:  # noqa: F811
    """API keys configured, with a refill far slower than the test so the burst alone decides."""
    from shared.config import get_settings

    extra = {"SVGAI_API_KEYS": json.dumps(KEYS), "SVGAI_RATE_LIMIT_BURST": str(BURST),
             "SVGAI_RATE_LIMIT_PER_S": "0.01"}
    os.environ.update(extra)
    get_settings.cache_clear()
    yield
    for k in extra:
        os.environ.pop(k, None)
    get_settings.cache_clear()


@pytest.fixture
def store(redis_url: str) -> redis.Redis:  # noqa: F811
    return redis.Redis.from_url(redis_url)


def job_keys(store: redis.Redis) -> set[bytes]:
    return set(store.scan_iter("svgai-test:job:*"))


def submit(client: TestClient, data: bytes = LOGO, **form: object) -> dict:
    res = client.post("/v1/jobs", files={"file": ("logo.png", data, "image/png")},
                      data={k: str(v) for k, v in form.items()})
    assert res.status_code in (200, 202), res.text
    return res.json()


def assert_figures_match_svg(client: TestClient, job: dict, source: bytes) -> None:
    svg = client.get(f"/v1/jobs/{job['id']}/svg")
    assert svg.status_code == 200 and svg.headers["content-type"].startswith("image/svg+xml")
    figures = measure(svg.text, decode_image(source).rgba)
    assert job["result"]["ssim"] == pytest.approx(figures.ssim, abs=1e-9)
    assert job["result"]["bytes"] == figures.bytes


def test_tier1_is_answered_by_the_gateway(client: TestClient) -> None:
    job = submit(client, tier=1, target_ssim=0.97)
    assert job["status"] == "succeeded" and job["tier"] == 1 and not job["cache_hit"]
    assert_figures_match_svg(client, job, LOGO)
    assert client.get(f"/v1/jobs/{job['id']}").json()["status"] == "succeeded"


def test_tier2_runs_on_the_worker_and_is_polled(client: TestClient, store: redis.Redis) -> None:
    image = png_bytes(disc(80, 25.0, (200, 40, 40)))
    job = submit(client, image, tier=2, wait=60)
    assert job["status"] == "succeeded", job
    assert job["tier"] == 2 and job["result"]["evaluated"] > 1 and job["progress"] == 1.0
    assert_figures_match_svg(client, job, image)
    assert store.llen("tier2") == 0


def test_resubmission_is_a_cache_hit_without_a_task(client: TestClient, store: redis.Redis) -> None:
    image = png_bytes(disc(72, 20.0, (10, 150, 60)))
    first = submit(client, image, tier=2, wait=60)
    assert first["status"] == "succeeded"
    store.delete("tier2")
    second = submit(client, image, tier=2)
    assert second["status"] == "succeeded" and second["cache_hit"] and second["id"] != first["id"]
    assert second["result"] == first["result"]
    assert store.llen("tier2") == 0, "a cache hit puts nothing on the queue"
    assert_figures_match_svg(client, second, image)


def test_changed_settings_miss_the_cache(client: TestClient) -> None:
    a = submit(client, tier=1, target_ssim=0.9)
    b = submit(client, tier=1, target_ssim=0.9, overrides=json.dumps({"mode": "spline"}))
    assert not b["cache_hit"] and b["result"]["params"]["mode"] == "spline"
    assert a["cache_key"] != b["cache_key"]


@pytest.mark.parametrize(
    ("data", "form", "status", "fragment"),
    [
        (b"", {}, 422, "empty"),
        (b"plain text pretending to be a png", {}, 415, "not a supported image"),
        (LOGO[:200], {}, 422, "corrupt"),
        (huge_header_png(), {}, 413, "pixels"),
        (ico_bytes([huge_header_png(5_000, 5_000)]), {}, 413, "pixels"),  # a bomb inside a favicon
        (LOGO, {"tier": "7"}, 422, "tier"),
        (LOGO, {"target_ssim": "1.5"}, 422, "target_ssim"),
        (LOGO, {"overrides": "{\"filter_speckle\": 999}"}, 422, "filter_speckle"),
        (LOGO, {"overrides": "[1, 2]"}, 422, "JSON object"),
    ],
)
def test_bad_uploads_get_a_4xx_and_leave_no_job(
    client: TestClient, store: redis.Redis, data: bytes, form: dict, status: int, fragment: str
) -> None:
    before = job_keys(store)
    res = client.post("/v1/jobs", files={"file": ("x.png", data, "image/png")}, data=form)
    assert res.status_code == status, res.text
    assert fragment in json.dumps(res.json()["detail"])
    assert job_keys(store) == before


def test_unknown_job_is_404_and_cancel_is_final(client: TestClient) -> None:
    assert client.get("/v1/jobs/nope").status_code == 404
    job = submit(client, tier=1)
    res = client.delete(f"/v1/jobs/{job['id']}")
    assert res.status_code == 200 and res.json()["status"] == "succeeded"


def test_health_readiness_and_metrics(client: TestClient) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200 and ready.json()["status"] == "ready"
    assert ready.json()["models"]["classifier"]["loaded"] and ready.json()["models"]["predictor"]["loaded"]
    body = client.get("/metrics").text
    assert "svgai_jobs_total" in body and "svgai_cache_total" in body
    assert client.get("/openapi.json").json()["paths"]["/v1/jobs"]["post"]


def test_synchronous_convert_returns_svg_with_figures(client: TestClient) -> None:
    res = client.post("/v1/convert", files={"file": ("logo.png", LOGO, "image/png")})
    assert res.status_code == 200 and res.headers["content-type"].startswith("image/svg+xml")
    figures = measure(res.text, decode_image(LOGO).rgba)
    assert float(res.headers["x-svgai-ssim"]) == pytest.approx(figures.ssim, abs=1e-9)
    assert int(res.headers["x-svgai-bytes"]) == figures.bytes
    assert json.loads(res.headers["x-svgai-params"])["alpha"] == "threshold"
    bad = client.post("/v1/convert", files={"file": ("x.png", b"nope", "image/png")})
    assert bad.status_code == 415 and "detail" in bad.json()


def test_a_favicon_ico_converts_from_its_largest_frame(client: TestClient) -> None:
    icon = favicon_ico(decode_image(LOGO).rgba)
    res = client.post("/v1/convert", files={"file": ("favicon.ico", icon, "image/x-icon")})
    assert res.status_code == 200, res.text
    assert float(res.headers["x-svgai-ssim"]) > 0.95 and f'width="{decode_image(LOGO).width}"' in res.text


def auth(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


@pytest.mark.usefixtures("with_keys")
def test_missing_or_unknown_key_is_401(client: TestClient) -> None:
    res = client.post("/v1/jobs", files={"file": ("a.png", LOGO, "image/png")})
    assert res.status_code == 401 and "API key" in res.json()["detail"]
    assert client.get("/v1/jobs/x", headers=auth("not-a-key")).status_code == 401
    assert client.get("/healthz").status_code == 200, "probes need no key"


@pytest.mark.usefixtures("with_keys")
def test_a_key_sees_only_its_own_jobs(client: TestClient) -> None:
    res = client.post("/v1/jobs", files={"file": ("a.png", LOGO, "image/png")}, data={"tier": "1"},
                      headers=auth("key-a"))
    assert res.status_code == 200
    job = res.json()
    assert "owner" not in job
    assert client.get(f"/v1/jobs/{job['id']}", headers=auth("key-a")).status_code == 200
    assert client.get(f"/v1/jobs/{job['id']}", headers=auth("key-b")).status_code == 404
    assert client.get(f"/v1/jobs/{job['id']}/svg", headers=auth("key-b")).status_code == 404


@pytest.mark.usefixtures("with_keys")
def test_rate_limit_is_per_key(client: TestClient) -> None:
    answers = [client.get("/v1/jobs/none", headers=auth("key-c")).status_code for _ in range(BURST)]
    assert answers == [404] * BURST
    refused = client.get("/v1/jobs/none", headers=auth("key-c"))
    assert refused.status_code == 429 and int(refused.headers["retry-after"]) >= 1
    assert "rate limit" in refused.json()["detail"]
    assert client.get("/v1/jobs/none", headers=auth("key-b")).status_code == 404, "other keys unaffected"


def wait_for_deliveries(client: TestClient, job_id: str, n: int) -> list[dict]:
    from tests.service_fixtures import wait_until

    def enough() -> bool:  # completed attempts (each is on record "in progress" during its POST)
        deliveries = client.get(f"/v1/jobs/{job_id}").json()["webhook_deliveries"]
        return sum(d["error"] != "in progress" for d in deliveries) >= n

    wait_until(enough, 30, f"{n} webhook deliveries")
    return client.get(f"/v1/jobs/{job_id}").json()["webhook_deliveries"]


def test_webhook_is_signed_and_retried_until_it_succeeds(client: TestClient) -> None:
    """Standard Webhooks headers; every attempt carries the same webhook-id (the receiver's dedup key)."""
    from standardwebhooks import Webhook

    receiver = WebhookReceiver(failures=2)
    try:
        image = png_bytes(disc(70, 22.0, (90, 90, 10)))
        job = submit(client, image, tier=1, webhook_url=receiver.url)
        deliveries = wait_for_deliveries(client, job["id"], 3)
        assert [d["status_code"] for d in deliveries] == [500, 500, 200]
        assert [d["attempt"] for d in deliveries] == [1, 2, 3] and deliveries[-1]["ok"]
        assert {d["webhook_id"] for d in deliveries} == {f"{job['id']}.succeeded"}
        assert {h["webhook-id"] for h, _ in receiver.requests} == {f"{job['id']}.succeeded"}
        headers, body = receiver.requests[-1]
        Webhook(b"test-secret").verify(body, headers)  # raises if the signature or timestamp is wrong
        event = json.loads(body)
        assert event["event"] == "job.succeeded" and event["job"]["id"] == job["id"]
        assert event["job"]["result"]["ssim"] == job["result"]["ssim"]
    finally:
        receiver.close()


def test_webhook_of_a_queued_job_is_delivered_by_the_worker(client: TestClient) -> None:
    receiver = WebhookReceiver(failures=0)
    try:
        image = png_bytes(disc(60, 18.0, (5, 5, 5)))
        job = submit(client, image, tier=2, webhook_url=receiver.url, wait=60)
        assert job["status"] == "succeeded"
        assert wait_for_deliveries(client, job["id"], 1)[0]["status_code"] == 200
    finally:
        receiver.close()


REFUSED_URLS = ["http://10.1.2.3/hook", "http://169.254.169.254/latest", "ftp://x/y", "nope"]


@pytest.mark.parametrize("url", REFUSED_URLS)
def test_private_or_odd_webhook_urls_are_refused(client: TestClient, store: redis.Redis, url: str) -> None:
    before = job_keys(store)
    res = client.post("/v1/jobs", files={"file": ("a.png", LOGO, "image/png")}, data={"webhook_url": url})
    assert res.status_code == 422 and "webhook_url" in res.json()["detail"]
    assert job_keys(store) == before


def test_tier3_and_auto_run_through_the_api(client: TestClient) -> None:
    image = png_bytes(disc(64, 20.0, (120, 20, 160)))
    job = submit(client, image, tier=3, budget_s=1.5, wait=30)
    assert job["status"] == "succeeded" and job["tier"] == 3 and job["budget_s"] == 1.5
    assert job["result"]["evaluated"] > 2
    assert_figures_match_svg(client, job, image)
    auto = submit(client, image, tier="auto", target_ssim=0.999, budget_s=2, wait=30)
    assert auto["status"] == "succeeded" and auto["reason"] and auto["requested_tier"] == "auto"
    assert_figures_match_svg(client, auto, image)
    bad = client.post("/v1/jobs", files={"file": ("a.png", image, "image/png")}, data={"budget_s": "0"})
    assert bad.status_code == 422 and "budget_s" in json.dumps(bad.json()["detail"])


def batch_files(*images: bytes) -> list[tuple[str, tuple[str, bytes, str]]]:
    return [("files", (f"logo-{i}.png", data, "image/png")) for i, data in enumerate(images)]


def test_batch_of_three_finishes_and_downloads_as_zip(client: TestClient) -> None:
    import io
    import zipfile

    images = [png_bytes(disc(48 + 8 * i, 15.0, (40 * i, 90, 200))) for i in range(3)]
    res = client.post("/v1/batches", files=batch_files(*images), data={"tier": "2"})
    assert res.status_code in (200, 202), res.text
    batch = res.json()
    assert batch["total"] == 3
    assert [j["filename"] for j in batch["jobs"]] == [f"logo-{i}.png" for i in range(3)]
    from tests.service_fixtures import wait_until

    wait_until(lambda: client.get(f"/v1/batches/{batch['id']}").json()["status"] == "finished", 60, "batch")
    done = client.get(f"/v1/batches/{batch['id']}").json()
    assert done["counts"] == {"succeeded": 3}
    archive = zipfile.ZipFile(io.BytesIO(client.get(f"/v1/batches/{batch['id']}/svgs.zip").content))
    assert sorted(archive.namelist()) == [f"logo-{i}.svg" for i in range(3)]
    for job, image in zip(done["jobs"], images, strict=True):
        svg = archive.read(f"{job['filename'][:-4]}.svg").decode()
        assert measure(svg, decode_image(image).rgba).ssim == pytest.approx(job["result"]["ssim"], abs=1e-9)


def test_a_bad_file_rejects_the_whole_batch(client: TestClient, store: redis.Redis) -> None:
    before = job_keys(store)
    res = client.post("/v1/batches", files=batch_files(LOGO, b"not an image"), data={"tier": "1"})
    assert res.status_code == 415 and "logo-1.png" in res.json()["detail"]
    assert job_keys(store) == before
    assert client.get("/v1/batches/nope").status_code == 404


def samples_of(body: str) -> dict[str, float]:
    return {line.rsplit(" ", 1)[0]: float(line.rsplit(" ", 1)[1])
            for line in body.splitlines() if line and not line.startswith("#")}


def worker_samples(env: dict[str, str]) -> dict[str, float]:
    """The worker's own /metrics (prometheus_client multiprocess: the sum over its pool processes)."""
    import httpx

    port = env["SVGAI_WORKER_METRICS_PORT"]
    return samples_of(httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=5).text)


def test_metrics_count_conversions_queues_and_webhooks(
    client: TestClient, service_env: dict[str, str]  # noqa: F811
) -> None:
    """Tier 2 conversions are counted by the worker on its own port, every scrape reading the same
    counts (nothing drained); Tier 1 by the gateway."""
    image = png_bytes(disc(56, 17.0, (250, 120, 0)))
    assert submit(client, image, tier=2, wait=60)["status"] == "succeeded"
    assert not submit(client, png_bytes(disc(57, 17.0, (250, 120, 0))), tier=1)["cache_hit"]
    worker = worker_samples(service_env)
    assert worker['svgai_conversion_seconds_count{tier="2"}'] >= 1
    assert worker['svgai_conversion_ssim_count{tier="2"}'] >= 1
    assert worker_samples(service_env)['svgai_conversion_seconds_count{tier="2"}'] == \
        worker['svgai_conversion_seconds_count{tier="2"}'], "a second scraper sees the same count"
    samples = samples_of(client.get("/metrics").text)
    assert samples['svgai_conversion_seconds_count{tier="1"}'] >= 1
    assert samples['svgai_queue_depth{queue="tier2"}'] == 0
    assert 'svgai_queue_depth{queue="webhooks"}' in samples
    assert 0 <= samples["svgai_tier1_pool_saturation"] <= 1
    assert any(k.startswith("http_requests_total") for k in samples), "HTTP metrics from the instrumentator"
