"""The web page in a real browser (Debian's chromium, driven by Playwright) against a real gateway,
Celery worker and Redis on loopback."""

import io
import shutil
import zipfile
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.service_fixtures import celery_worker, redis_url, service_env, start_gateway, stop  # noqa: F401

ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = ROOT / "tests" / "artifacts"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
EXAMPLES = sorted((ROOT / "examples").glob("*.png"))
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="make test installs chromium with apt-get")


@pytest.fixture(scope="module")
def gateway(service_env: dict[str, str], celery_worker: object) -> Iterator[str]:  # noqa: F811
    proc, base = start_gateway(service_env)
    yield base
    stop(proc)


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield browser
        browser.close()


@pytest.fixture
def page(browser: object, gateway: str) -> Iterator[object]:
    context = browser.new_context(accept_downloads=True, viewport={"width": 1280, "height": 900})
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(gateway)
    page.console_errors = errors  # a test that provokes an HTTP error removes the one it expects
    yield page
    context.close()
    assert errors == [], f"console errors: {errors}"


def test_convert_one_image_and_compare(page: object, gateway: str) -> None:
    page.set_input_files("#files", str(EXAMPLES[0]))
    page.select_option("#tier", "2")
    page.click("#convert")
    page.wait_for_selector("#jobs li progress")  # progress is shown while the worker runs
    page.wait_for_selector("#figures td[data-field=ssim]", timeout=60_000)
    job_id = page.get_attribute("#result", "data-job-id")
    job = httpx.get(f"{gateway}/v1/jobs/{job_id}").json()
    assert job["status"] == "succeeded" and job["tier"] == 2
    for field in ("ssim", "psnr", "bytes", "gzip_bytes", "paths", "params", "logo_type"):
        shown = page.get_attribute(f"#figures td[data-field={field}]", "data-value")
        assert httpx.Response(200, text=shown).json() == job["result"][field], field
    assert page.inner_text("#figures td[data-field=ssim]") == f"{job['result']['ssim']:.4f}"
    assert page.inner_text("#figures td[data-field=reason]") == job["reason"]
    page.wait_for_function("document.getElementById('diff').naturalWidth > 0")
    with page.expect_download() as download:
        page.click("#download")
    svg = Path(download.value.path()).read_text()
    assert svg == httpx.get(f"{gateway}/v1/jobs/{job_id}/svg").text
    page.fill("#overlay-slider", "20")
    assert "20%" in page.get_attribute("#overlay-svg", "style")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "desktop.png"), full_page=True)
    page.set_viewport_size({"width": 375, "height": 800})
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 375, "no horizontal scrolling at 375 px"
    page.screenshot(path=str(ARTIFACTS / "mobile-375.png"), full_page=True)


def test_a_text_file_shows_the_apis_error(page: object, tmp_path: Path) -> None:
    note = tmp_path / "notes.png"
    note.write_text("this is not an image")
    page.set_input_files("#files", str(note))
    page.click("#convert")
    page.wait_for_selector("#error:not([hidden])")
    assert "Not an image svgai accepts" in page.inner_text("#error")
    assert page.is_hidden("#result")
    expected = [e for e in page.console_errors if "status of 415" in e]
    assert len(expected) == 1, "the browser logs the refused upload, and nothing else went wrong"
    page.console_errors.remove(expected[0])


def test_a_batch_of_three_finishes_and_downloads_as_zip(page: object) -> None:
    page.set_input_files("#files", [str(p) for p in EXAMPLES[:3]])
    page.select_option("#tier", "1")
    page.click("#convert")
    page.wait_for_function(
        "document.querySelectorAll('#jobs li[data-status=succeeded]').length === 3", timeout=60_000)
    assert page.is_visible("#download-all")
    with page.expect_download() as download:
        page.click("#download-all")
    names = zipfile.ZipFile(io.BytesIO(Path(download.value.path()).read_bytes())).namelist()
    assert sorted(names) == sorted(f"{p.stem}.svg" for p in EXAMPLES[:3])


def test_controls_are_labelled_and_keyboard_reachable(page: object) -> None:
    for control in ("files", "tier", "target", "overrides", "budget", "api-key", "overlay-slider"):
        assert page.locator(f"label[for={control}]").count() == 1, control
    page.keyboard.press("Tab")
    focused = [page.evaluate("document.activeElement.id")]
    for _ in range(6):
        page.keyboard.press("Tab")
        focused.append(page.evaluate("document.activeElement.id"))
    assert "drop" in focused and "tier" in focused and "target" in focused
