"""The web page in a real browser (Debian's chromium, driven by Playwright; no browser download) against a
real gateway (uvicorn), Celery worker and Redis on loopback, plus the diff.png endpoint it uses."""

import io
import json
import shutil
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pytest
import redis
from PIL import Image

from tests.service_fixtures import celery_worker, redis_url, service_env, start_gateway, stop  # noqa: F401

ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = ROOT / "tests" / "artifacts"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
EXAMPLES = sorted((ROOT / "examples").glob("*.png"))
API_KEY = "web-test-key"
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="make test installs chromium with apt-get")

# Every text the job's status showed, recorded in the page as it changes (installed before the click).
RECORD_STATUSES = """() => {
  window.seenStatuses = [];
  new MutationObserver(() => {
    for (const s of document.querySelectorAll('#jobs .status')) window.seenStatuses.push(s.textContent);
  }).observe(document.getElementById('jobs'), {subtree: true, childList: true, characterData: true});
}"""


@pytest.fixture(scope="module")
def gateway(service_env: dict[str, str], celery_worker: object) -> Iterator[str]:  # noqa: F811
    proc, base = start_gateway(service_env)
    yield base
    stop(proc)


@pytest.fixture(scope="module")
def keyed_gateway(service_env: dict[str, str], celery_worker: object) -> Iterator[str]:  # noqa: F811
    """A second gateway on the same Redis that requires an API key."""
    proc, base = start_gateway({**service_env, "SVGAI_API_KEYS": json.dumps([API_KEY])})
    yield base
    stop(proc)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield browser
        browser.close()


def open_page(browser: Any, url: str) -> Iterator[Any]:
    """A fresh page at `url`; fails the test on any console error it did not expect and remove."""
    context = browser.new_context(accept_downloads=True, viewport={"width": 1280, "height": 900})
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(url)
    page.console_errors = errors  # a test that provokes an HTTP error removes the one it expects
    yield page
    context.close()
    assert errors == [], f"console errors: {errors}"


@pytest.fixture
def page(browser: Any, gateway: str) -> Iterator[Any]:
    yield from open_page(browser, gateway)


@pytest.fixture
def keyed_page(browser: Any, keyed_gateway: str) -> Iterator[Any]:
    yield from open_page(browser, keyed_gateway)


def expect_console_error(page: Any, status: int) -> None:
    """The browser logs each refused request once; that one is expected, nothing else is."""
    expected = [e for e in page.console_errors if f"status of {status}" in e]
    assert len(expected) == 1, page.console_errors
    page.console_errors.remove(expected[0])


def test_convert_one_image_compare_and_download(page: Any, gateway: str) -> None:
    page.set_input_files("#files", str(EXAMPLES[0]))
    page.select_option("#tier", "2")
    page.fill("#target", "0.977")  # settings no other test uses: never a cache hit, so the worker runs
    page.evaluate(RECORD_STATUSES)
    page.click("#convert")
    page.wait_for_selector("#figures td[data-field=ssim]", timeout=60_000)
    seen = page.evaluate("window.seenStatuses")
    assert any(s.startswith(("queued", "running")) for s in seen), seen  # progress was shown
    assert page.get_attribute("#jobs progress", "value") == "1"
    job_id = page.get_attribute("#result", "data-job-id")
    job = httpx.get(f"{gateway}/v1/jobs/{job_id}").json()
    assert job["status"] == "succeeded" and job["tier"] == 2 and job["target_ssim"] == 0.977
    for field in ("ssim", "psnr", "bytes", "gzip_bytes", "paths", "params", "logo_type", "seconds"):
        shown = page.get_attribute(f"#figures td[data-field={field}]", "data-value")
        assert json.loads(shown) == job["result"][field], field
    assert page.inner_text("#figures td[data-field=ssim]") == f"{job['result']['ssim']:.4f}"
    assert page.inner_text("#figures td[data-field=psnr]") == f"{job['result']['psnr']:.1f} dB"
    assert page.inner_text("#figures td[data-field=tier]") == "2"
    assert page.inner_text("#figures td[data-field=reason]") == job["reason"]
    page.wait_for_function("document.getElementById('diff').naturalWidth > 0")
    assert page.evaluate("document.getElementById('diff').naturalWidth") == Image.open(EXAMPLES[0]).width

    with page.expect_download() as download:
        page.click("#download")
    svg = Path(download.value.path()).read_text()
    assert svg == httpx.get(f"{gateway}/v1/jobs/{job_id}/svg").text
    assert download.value.suggested_filename == f"{EXAMPLES[0].stem}.svg"

    page.fill("#overlay-slider", "20")
    assert "inset(0px 0px 0px 20%)" in page.get_attribute("#overlay-svg", "style")
    page.select_option("#zoom", "2")  # both sides at the same zoom: the original's pixels x 2
    widths = page.evaluate("['original', 'svg-view'].map(i => document.getElementById(i).clientWidth)")
    assert widths == [2 * Image.open(EXAMPLES[0]).width] * 2
    page.select_option("#zoom", "fit")

    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "desktop.png"), full_page=True)
    page.set_viewport_size({"width": 375, "height": 800})
    assert page.evaluate("document.documentElement.scrollWidth") <= 375, "no sideways scrolling at 375 px"
    page.screenshot(path=str(ARTIFACTS / "mobile-375.png"), full_page=True)


def test_a_text_file_shows_the_apis_error_in_plain_words(page: Any, tmp_path: Path) -> None:
    note = tmp_path / "notes.png"
    note.write_text("this is not an image")
    page.set_input_files("#files", str(note))
    page.click("#convert")
    page.wait_for_selector("#error:not([hidden])")
    assert page.inner_text("#error").startswith("Not an image svgai accepts:")
    assert page.is_hidden("#result")
    expect_console_error(page, 415)


def test_a_batch_of_three_finishes_and_downloads_as_zip(page: Any, gateway: str) -> None:
    page.set_input_files("#files", [str(p) for p in EXAMPLES[:3]])
    page.select_option("#tier", "1")
    page.click("#convert")
    page.wait_for_function(
        "document.querySelectorAll('#jobs li[data-status=succeeded]').length === 3", timeout=60_000)
    assert page.inner_text("#chosen").startswith("3 files, a batch")
    page.wait_for_selector("#figures td[data-field=ssim]")
    with page.expect_download() as download:
        page.click("#download-all")
    names = zipfile.ZipFile(io.BytesIO(Path(download.value.path()).read_bytes())).namelist()
    assert sorted(names) == sorted(f"{p.stem}.svg" for p in EXAMPLES[:3])
    page.click("#jobs li:nth-child(3) button")  # each file's result can be shown
    third = page.get_attribute("#jobs li:nth-child(3)", "data-job-id")
    page.wait_for_function(f"document.getElementById('result').dataset.jobId === '{third}'")
    assert page.inner_text("#result-name") == EXAMPLES[2].name


def test_the_page_asks_for_an_api_key_when_one_is_required(keyed_page: Any) -> None:
    page = keyed_page
    assert page.is_hidden("#key-box")
    page.set_input_files("#files", str(EXAMPLES[1]))
    page.select_option("#tier", "1")
    page.click("#convert")
    page.wait_for_selector("#error:not([hidden])")
    assert page.inner_text("#error").startswith("An API key is needed")
    assert page.is_visible("#api-key") and page.evaluate("document.activeElement.id") == "api-key"
    expect_console_error(page, 401)
    page.fill("#api-key", API_KEY)
    page.click("#convert")
    page.wait_for_selector("#figures td[data-field=ssim]", timeout=60_000)
    assert page.is_hidden("#error")
    assert page.evaluate("sessionStorage.getItem('svgai-key')") == API_KEY
    assert page.evaluate("localStorage.length") == 0 and "svgai" not in page.evaluate("document.cookie")


def test_controls_are_labelled_and_keyboard_operable(page: Any) -> None:
    for control in ("files", "tier", "target", "overrides", "budget", "api-key", "zoom", "overlay-slider"):
        assert page.locator(f"label[for={control}]").count() == 1, control
    focused = []
    for _ in range(6):
        page.keyboard.press("Tab")
        focused.append(page.evaluate("document.activeElement.id || document.activeElement.tagName"))
    assert focused[:3] == ["files", "tier", "target"], focused
    page.focus("#tier")
    page.keyboard.press("Shift+Tab")  # back on the file input: its visible label shows the focus ring
    assert page.evaluate("document.activeElement.id") == "files"
    outline = page.evaluate("getComputedStyle(document.querySelector('label[for=files]')).outlineStyle")
    assert outline == "solid"
    page.evaluate("""() => {  // a file dropped on the drop zone is chosen like a picked one
      const data = new DataTransfer();
      data.items.add(new File(['x'], 'dropped.png', {type: 'image/png'}));
      const drop = new DragEvent('drop', {dataTransfer: data, bubbles: true});
      document.getElementById('drop').dispatchEvent(drop);
    }""")
    assert page.inner_text("#chosen") == "Chosen: dropped.png"
    page.focus("#advanced summary")
    page.keyboard.press("Enter")
    assert page.is_visible("#overrides")
    page.fill("#overrides", "{not json")
    page.set_input_files("#files", str(EXAMPLES[0]))
    page.focus("#convert")
    page.keyboard.press("Enter")
    assert page.inner_text("#error").startswith("Parameter overrides are not valid JSON")


def png_bytes(seed: int) -> bytes:
    """A small image no other test submits."""
    rgba = np.zeros((24, 24, 4), np.uint8)
    rgba[...] = (seed % 256, 40, 200, 255)
    rgba[6:18, 6:18] = (255, 255, 255, 255)
    buffer = io.BytesIO()
    Image.fromarray(rgba, "RGBA").save(buffer, "PNG")
    return buffer.getvalue()


def test_diff_png_answers(gateway: str, redis_url: str) -> None:  # noqa: F811
    from shared.config import get_settings
    from workers.jobstore import Job, image_key, job_key

    prefix = get_settings().key_prefix
    r = redis.Redis.from_url(redis_url)
    queued = Job(id="web-test-queued", requested_tier="2", target_ssim=0.98, image_sha256="0", cache_key="0")
    r.set(job_key(prefix, queued.id), queued.model_dump_json(), ex=60)
    answer = httpx.get(f"{gateway}/v1/jobs/{queued.id}/diff.png")
    assert answer.status_code == 409 and "queued" in answer.json()["detail"]
    assert httpx.get(f"{gateway}/v1/jobs/no-such-job/diff.png").status_code == 404

    job = httpx.post(f"{gateway}/v1/jobs", files={"file": ("mark.png", png_bytes(7))},
                     data={"tier": "1", "wait": "30"}).json()
    assert job["status"] == "succeeded"
    answer = httpx.get(f"{gateway}/v1/jobs/{job['id']}/diff.png")
    assert answer.status_code == 200 and answer.headers["content-type"] == "image/png"
    assert Image.open(io.BytesIO(answer.content)).size == (24, 24)
    r.delete(image_key(prefix, job["image_sha256"]))  # the original expired
    answer = httpx.get(f"{gateway}/v1/jobs/{job['id']}/diff.png")
    assert answer.status_code == 404 and "expired" in answer.json()["detail"]

    responses = httpx.get(f"{gateway}/openapi.json").json()["paths"]["/v1/jobs/{job_id}/diff.png"]["get"][
        "responses"]
    assert {"200", "404", "409"} <= set(responses) and "image/png" in responses["200"]["content"]
