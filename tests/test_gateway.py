"""The gateway against hostile input, with a real Redis (no worker: nothing here needs one): the Tier 1
pool's time, memory and pixel limits, deeply nested JSON, unsafe batch file names, a bad file in a
batch, an upload without a filename, booleans given for numbers. Each gateway is a TestClient with
its own settings (read from the environment when its lifespan starts the pool)."""

import io
import json
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np
import pytest
import redis
from fastapi.testclient import TestClient

from tests.conftest import disc
from tests.image_files import png_bytes
from tests.service_fixtures import redis_url, service_env, settings_env  # noqa: F401 - fixtures

LOGO = png_bytes(disc(64, 20.0, (30, 90, 200)))
TINY = png_bytes(np.full((3, 3, 4), (200, 30, 30, 255), np.uint8))
NESTED = '{"a":' * 1000 + "1" + "}" * 1000


def noise(side: int) -> bytes:
    """A mosaic of random 14 px squares: ~1,300 flat shapes, the costliest input svgai still traces as it
    is (pixel noise and larger mosaics are posterised first, shared/damage.py)."""
    cells = np.random.default_rng(1).integers(0, 256, (side // 14 + 1, side // 14 + 1, 4), dtype=np.uint8)
    rgba = np.ascontiguousarray(np.repeat(np.repeat(cells, 14, 0), 14, 1)[:side, :side])
    rgba[..., 3] = 255
    return png_bytes(rgba)


@contextmanager
def gateway(**settings: str) -> Iterator[TestClient]:
    """A gateway whose settings are the session's plus `settings` (SVGAI_<NAME> variables)."""
    with settings_env({f"SVGAI_{name.upper()}": value for name, value in settings.items()}):
        from api.app import app

        with TestClient(app) as client:
            yield client


@pytest.fixture(scope="module")
def client(service_env: dict[str, str]) -> Iterator[TestClient]:  # noqa: F811
    with gateway() as c:
        yield c


@pytest.fixture
def store(redis_url: str) -> redis.Redis:  # noqa: F811
    return redis.Redis.from_url(redis_url)


def job_keys(store: redis.Redis) -> set[bytes]:
    return set(store.scan_iter("svgai-test:job:*"))


def convert(client: TestClient, data: bytes, **form: str) -> object:
    return client.post("/v1/convert", files={"file": ("a.png", data, "image/png")}, data=form)


@pytest.mark.usefixtures("service_env")
def test_a_run_over_the_time_limit_is_422_and_the_pool_stays_healthy() -> None:
    with gateway(tier1_timeout_s="1") as client:
        res = convert(client, noise(512))
        assert res.status_code == 422, res.text[:300]
        assert "time limit" in res.json()["detail"] and "job" in res.json()["detail"]
        assert convert(client, TINY).status_code == 200
        pool = client.get("/readyz").json()["tier1_pool"]
        assert pool["alive"] == pool["processes"] and pool["timeout_s"] == 1


@pytest.mark.usefixtures("service_env")
def test_a_run_over_the_memory_limit_is_422_and_leaves_no_job(store: redis.Redis) -> None:
    before = job_keys(store)
    with gateway(tier1_memory_mb="620", tier1_timeout_s="300") as client:
        stacked = json.dumps({"hierarchical": "stacked"})  # the layering whose trace needs the memory
        res = client.post("/v1/jobs", files={"file": ("n.png", noise(512), "image/png")},
                          data={"tier": "1", "overrides": stacked})
        assert res.status_code == 422, res.text[:300]
        assert "memory limit" in res.json()["detail"]
        assert convert(client, TINY).status_code == 200
        assert client.get("/readyz").json()["tier1_pool"]["alive"] == 1
    assert job_keys(store) == before


@pytest.mark.usefixtures("service_env")
def test_over_the_synchronous_pixel_limit_tier1_is_422_and_auto_queues_tier2(store: redis.Redis) -> None:
    with gateway(tier1_max_pixels="1000", queue_tier2="gateway-test-tier2") as client:
        res = convert(client, LOGO)
        assert res.status_code == 422 and "1,000 pixels" in res.json()["detail"], res.text
        fresh = png_bytes(disc(64, 21.0, (1, 2, 3)))  # not in the result cache
        queued = client.post("/v1/jobs", files={"file": ("a.png", fresh, "image/png")}, data={"tier": "auto"})
        assert queued.status_code == 202, queued.text
        job = queued.json()
        assert job["tier"] == 2 and "synchronously" in job["reason"]
        assert client.delete(f"/v1/jobs/{job['id']}").json()["status"] == "cancelled"
    store.delete("gateway-test-tier2")


@pytest.mark.parametrize("path", ["/v1/jobs", "/v1/convert", "/v1/batches"])
def test_deeply_nested_overrides_are_422(client: TestClient, path: str) -> None:
    field = "files" if path == "/v1/batches" else "file"
    res = client.post(path, files={field: ("a.png", LOGO, "image/png")}, data={"overrides": NESTED})
    assert res.status_code == 422, res.text[:300]
    assert "nests 1000 levels" in res.json()["detail"]


def test_booleans_are_not_numbers(client: TestClient) -> None:
    res = convert(client, LOGO, overrides=json.dumps({"scale": True}))
    assert res.status_code == 422 and "booleans are not numbers" in res.json()["detail"], res.text


def test_an_upload_without_a_filename_is_422_without_echoing_it(client: TestClient) -> None:
    upload = LOGO * 8
    res = client.post("/v1/jobs", files={"file": ("", upload, "image/png")})
    assert res.status_code == 422
    assert len(res.content) < 1000, f"{len(res.content)} bytes answered for a {len(upload)}-byte upload"
    assert "filename" in json.dumps(res.json()["detail"])


def test_zip_entries_are_safe_unique_basenames(client: TestClient) -> None:
    names = ["..\\..\\windows\\evil.png", "../../evil.png", "a" * 300 + ".png", "c:evil?.png"]
    images = [png_bytes(disc(40 + 4 * i, 12.0, (10 + 60 * i, 90, 20))) for i in range(len(names))]
    files = [("files", (name, data, "image/png")) for name, data in zip(names, images, strict=True)]
    res = client.post("/v1/batches", data={"tier": "1"}, files=files)
    assert res.status_code == 200, res.text[:300]
    archive = client.get(f"/v1/batches/{res.json()['id']}/svgs.zip")
    entries = zipfile.ZipFile(io.BytesIO(archive.content)).namelist()
    assert len(entries) == len(set(entries)) == 4
    for entry in entries:
        assert "/" not in entry and "\\" not in entry and ":" not in entry and ".." not in entry, entry
        assert entry.endswith(".svg") and len(entry) <= 120
    assert "evil.svg" in entries and sum(e.startswith("evil") for e in entries) == 2
    assert "a" * 100 + ".svg" in entries


def test_a_bad_file_in_a_tier1_batch_leaves_no_job_and_is_named(client: TestClient,
                                                                store: redis.Redis) -> None:
    before = job_keys(store)
    images = [png_bytes(disc(48, 15.0, (200, 0, 90))), LOGO[:200], png_bytes(disc(52, 15.0, (0, 200, 90)))]
    files = [("files", (f"logo-{i}.png", data, "image/png")) for i, data in enumerate(images)]
    res = client.post("/v1/batches", files=files, data={"tier": "1"})
    assert res.status_code == 422, res.text[:300]
    assert "logo-1.png" in res.json()["detail"] and "corrupt" in res.json()["detail"]
    assert job_keys(store) == before


def test_api_docs_load_nothing_from_outside(client: TestClient) -> None:
    import re

    for page in ("/docs", "/redoc"):
        html = client.get(page)
        assert html.status_code == 200 and "openapi.json" in html.text
        links = re.findall(r"""(?:src|href)=["']([^"']+)["']""", html.text)
        assert links and all(link.startswith("/") for link in links), links
        for link in links:
            asset = client.get(link)
            assert asset.status_code == 200 and len(asset.content) > 1000, link
    assert client.get("/docs-assets/../app.py").status_code == 404


def test_a_body_over_the_upload_limit_is_refused_before_it_is_read(client: TestClient) -> None:
    import asyncio

    from api.limits import BodyLimitMiddleware
    from shared.config import get_settings

    limit = get_settings().max_upload_bytes
    declared = client.post("/v1/jobs", files={"file": ("a.png", bytes(limit + 2 * 1024 * 1024), "image/png")})
    assert declared.status_code == 413 and "request body is larger" in declared.json()["detail"]

    chunk, sent, seen_by_app, answer = bytes(1024 * 1024), [0], [0], []

    async def endless_upload() -> dict:  # no Content-Length: counted as it streams
        sent[0] += 1
        return {"type": "http.request", "body": chunk, "more_body": True}

    async def reads_everything(scope: dict, receive: Any, send: Any) -> None:
        while (message := await receive())["type"] == "http.request" and message.get("more_body"):
            seen_by_app[0] += len(message["body"])
        await send({"type": "http.response.start", "status": 400, "headers": []})
        await send({"type": "http.response.body", "body": b"truncated"})

    async def record(message: dict) -> None:
        answer.append(message)

    scope = {"type": "http", "method": "POST", "path": "/v1/convert", "headers": []}
    asyncio.run(BodyLimitMiddleware(reads_everything)(scope, endless_upload, record))
    assert answer[0]["status"] == 413 and b"larger than" in answer[1]["body"]
    assert seen_by_app[0] <= limit + 2 * len(chunk) and sent[0] <= limit // len(chunk) + 3
    batch = client.post("/v1/batches", files=[("files", ("a.png", LOGO, "image/png"))], data={"tier": "1"})
    assert batch.status_code == 200, "a batch may carry more than one upload's worth"
