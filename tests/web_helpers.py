"""What the web page's browser tests share besides their fixtures (tests/web_fixtures.py): a fresh page that
fails its test on any unexpected console error, the settings form, waiting for a result, screenshots.
Screenshots land in tests/artifacts/web-*.png (the ones in docs/ are copies of these, see the README)."""

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = ROOT / "tests" / "artifacts"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
EXAMPLES = {p.stem: p for p in (ROOT / "examples").glob("*.png")}
LONG_WAIT = 90_000  # ms: a conversion on a 2-core machine shared with other work
needs_chromium = pytest.mark.skipif(CHROMIUM is None, reason="make test installs chromium with apt-get")


def open_page(browser: Any, url: str) -> Iterator[Any]:
    """A fresh browser profile at `url`; fails the test on any console error it did not expect and remove."""
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


def settings(page: Any, tier: str, target_percent: str, budget: str = "") -> None:
    page.select_option("#tier", tier)
    page.fill("#target", target_percent)
    if budget:
        page.click("#advanced summary")
        page.fill("#budget", budget)


def wait_for_result(page: Any) -> str:
    """Waits until a result is shown with its difference map; its job id."""
    page.wait_for_selector("#result:not([hidden]) #figures td[data-field=ssim]", state="attached",
                           timeout=LONG_WAIT)
    page.wait_for_function("document.getElementById('diff').naturalWidth > 0 || "
                           "!document.getElementById('diff-note').hidden")
    return page.get_attribute("#result", "data-job-id")


def screenshot(page: Any, name: str, selector: str | None = None, with_width: bool = True) -> Path:
    """tests/artifacts/web-{name}-{width}.png (web-{name}.png without the width): the element, or the page."""
    ARTIFACTS.mkdir(exist_ok=True)
    suffix = f"-{page.viewport_size['width']}" if with_width else ""
    path = ARTIFACTS / f"web-{name}{suffix}.png"
    if selector:
        page.locator(selector).screenshot(path=str(path))
    else:
        page.screenshot(path=str(path), full_page=True)
    return path
