"""The web page in a real browser (Debian's chromium, driven by Playwright; no browser download) against a
real gateway (uvicorn), Celery worker and Redis on loopback (tests/web_fixtures.py), plus the diff.png
endpoint it uses. The compare view's zoom is tested in tests/test_web_compare.py.
Screenshots land in tests/artifacts/web-*.png (the ones in docs/ are copies of these)."""

import base64
import io
import json
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pytest
import redis
from PIL import Image

from tests.service_fixtures import start_gateway, stop
from tests.web_helpers import (
    EXAMPLES,
    LONG_WAIT,
    needs_chromium,
    open_page,
    screenshot,
    settings,
    wait_for_result,
)

pytest_plugins = ["tests.web_fixtures"]  # browser, gateway, page (and the service fixtures they need)
LOGO, ICON, EMOJI = EXAMPLES["logo_paytm"], EXAMPLES["icon_bank-transfer"], EXAMPLES["emoji_1f433"]
GRADIENT = EXAMPLES["gradient_000"]  # soft shading: one pass cannot reach 99.9 %, a search takes long
API_KEY = "web-test-key"
LONG_NAME = "brand_mark-horizontal-colour_final-export.v2.png"
pytestmark = needs_chromium


@pytest.fixture(scope="module")
def keyed_gateway(service_env: dict[str, str], celery_worker: object) -> Iterator[str]:
    """A second gateway on the same Redis that requires an API key."""
    proc, base = start_gateway({**service_env, "SVGAI_API_KEYS": json.dumps([API_KEY])})
    yield base
    stop(proc)


@pytest.fixture
def keyed_page(browser: Any, keyed_gateway: str) -> Iterator[Any]:
    yield from open_page(browser, keyed_gateway)


def expect_console_error(page: Any, status: int) -> None:
    """The browser logs each refused request once; that one is expected, nothing else is."""
    expected = [e for e in page.console_errors if f"status of {status}" in e]
    assert len(expected) == 1, page.console_errors
    page.console_errors.remove(expected[0])


def active_id(page: Any) -> str:
    return page.evaluate("document.activeElement.id || document.activeElement.tagName")


def card(job_id: str) -> str:
    return f".job[data-job-id='{job_id}']"


# Visible text whose colour against the first opaque background behind it is below 4.5:1 (WCAG AA).
LOW_CONTRAST = """() => {
  const rgb = (c) => (c.match(/[\\d.]+/g) || []).map(Number);
  const lum = ([r, g, b]) => [r, g, b].map((v) => { v /= 255; return v <= 0.03928 ? v / 12.92
    : ((v + 0.055) / 1.055) ** 2.4; }).reduce((s, v, i) => s + v * [0.2126, 0.7152, 0.0722][i], 0);
  const background = (el) => {
    for (; el; el = el.parentElement) {
      const c = rgb(getComputedStyle(el).backgroundColor);
      if (c.length === 3 || (c.length === 4 && c[3] === 1)) return c.slice(0, 3);
    }
    return [255, 255, 255];
  };
  const low = [];
  for (const el of document.querySelectorAll('body *')) {
    const own = [...el.childNodes].some((n) => n.nodeType === 3 && n.textContent.trim());
    if (!own || !el.checkVisibility() || el.closest('[hidden], .visually-hidden')) continue;
    const [a, b] = [lum(rgb(getComputedStyle(el).color).slice(0, 3)), lum(background(el))];
    const ratio = (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
    if (!(ratio >= 4.5)) low.push(`${el.className} ${el.textContent.trim().slice(0, 30)}: ${ratio}`);
  }
  return low;
}"""


def at_375(page: Any) -> None:
    """Phone width: nothing scrolls sideways."""
    page.set_viewport_size({"width": 375, "height": 812})
    assert page.evaluate("document.documentElement.scrollWidth") <= 375, "no sideways scrolling at 375 px"


def test_first_screen_explains_itself(page: Any) -> None:
    assert page.inner_text("h1") == "Turn a logo or icon into a clean SVG"
    assert page.locator(".button.primary:visible").count() == 1  # one primary action: choose images
    assert page.inner_text("label[for=tier]") == "Speed" and page.input_value("#tier") == "auto"
    assert page.inner_text("label[for=target]") == "Quality target" and page.input_value("#target") == "98"
    assert [o.strip().split(":")[0] for o in page.locator("#tier option").all_inner_texts()] == [
        "Auto", "Fast", "Balanced", "Best"]
    assert page.is_hidden("#overrides")  # the technical fields are folded
    assert page.evaluate(LOW_CONTRAST) == []
    screenshot(page, "first-screen")
    at_375(page)
    screenshot(page, "first-screen")


def test_a_chosen_image_converts_at_once_and_the_result_tells_the_truth(page: Any, gateway: str) -> None:
    settings(page, "2", "97.7")  # settings no other test uses: never a cache hit, so the worker runs
    page.evaluate("""() => {
      window.seen = [];
      new MutationObserver(() => document.querySelectorAll('.job-status').forEach(
        (s) => window.seen.push(s.textContent))).observe(document.body, {subtree: true, childList: true,
        characterData: true});
    }""")
    page.set_input_files("#files", str(LOGO))  # no Convert click: one image converts straight away
    job_id = wait_for_result(page)
    assert any(s.startswith(("Waiting", "Converting")) for s in page.evaluate("window.seen"))
    job = httpx.get(f"{gateway}/v1/jobs/{job_id}").json()
    result = job["result"]
    assert job["status"] == "succeeded" and job["tier"] == 2 and job["target_ssim"] == 0.977
    assert active_id(page) == "result-title"  # focus moved to the result
    assert page.evaluate("location.hash") == f"#job={job_id}"
    percent = f"{int(result['ssim'] * 1000) / 10:.1f} %"
    assert page.inner_text("#similarity") == percent
    assert percent in page.inner_text(f"{card(job_id)} .job-status")
    badge = page.inner_text("#target-badge")
    assert ("Reached" in badge) == (result["ssim"] >= 0.977) and "97.7 %" in badge
    assert page.inner_text("#size").startswith(f"{LOGO.stat().st_size / 1024:.1f} KB image → ")
    assert page.inner_text("#speed") == "balanced, as you chose"
    for field in ("ssim", "psnr", "bytes", "gzip_bytes", "paths", "params", "logo_type", "seconds"):
        shown = page.get_attribute(f"#figures td[data-field={field}]", "data-value")
        assert json.loads(shown) == result[field], field
    assert page.get_attribute("#figures td[data-field=reason]", "data-value") == json.dumps(job["reason"])
    assert page.is_hidden("#figures")  # folded under "Technical figures"
    # Download and Copy sit beside the preview, within the first screenful of the result
    top = page.evaluate("document.getElementById('download').getBoundingClientRect().top "
                        "- document.getElementById('result-title').getBoundingClientRect().top")
    assert top < 600, top

    with page.expect_download() as download:
        page.click("#download")
    assert Path(download.value.path()).read_text() == httpx.get(f"{gateway}/v1/jobs/{job_id}/svg").text
    assert download.value.suggested_filename == f"{LOGO.stem}.svg"

    page.click("label[for=view-diff-radio]")
    assert page.evaluate("document.getElementById('diff').naturalWidth") == Image.open(LOGO).width
    assert "dim grey picture underneath is your image" in page.inner_text("#diff-caption")
    for image in ("original", "overlay-original", "diff"):  # pixels shown as they are, at every zoom
        style = f"getComputedStyle(document.getElementById('{image}')).imageRendering"
        assert page.evaluate(style) == "pixelated", image
    page.click("label[for=view-side-radio]")
    page.click("#technical summary")
    assert page.evaluate(LOW_CONTRAST) == []
    page.click("#technical summary")
    screenshot(page, "result", "#result")
    at_375(page)
    screenshot(page, "result", "#result")


def test_a_missed_target_is_flagged(page: Any, gateway: str) -> None:
    settings(page, "1", "99.9")  # one pass cannot reach 99.9 % on soft shading
    page.set_input_files("#files", str(GRADIENT))
    job_id = wait_for_result(page)
    job = httpx.get(f"{gateway}/v1/jobs/{job_id}").json()
    assert job["result"]["ssim"] < 0.999
    assert page.inner_text("#target-badge").startswith("⚠ Missed your quality target of 99.9 %")
    assert "miss" in page.get_attribute("#target-badge", "class")
    assert page.inner_text("#target-advice").startswith("Try Speed: best")
    assert page.is_visible(f"{card(job_id)} .badge.miss")
    assert page.is_visible("#retry-best")  # one click converts it again with the longest search
    assert page.evaluate(LOW_CONTRAST) == []
    screenshot(page, "missed-target", "#result")
    at_375(page)
    screenshot(page, "missed-target", "#result")


def test_the_sample_button_converts(page: Any) -> None:
    page.click("button[data-sample='sample-commodore.png']")
    wait_for_result(page)
    assert page.inner_text("#result-name") == "sample-commodore.png"
    assert page.inner_text("#speed").endswith("chosen automatically")
    assert page.inner_text("#why")  # the router's reason, in words
    page.click("button[data-sample='sample-bank-transfer.png']")  # a second conversion on the same page
    shown = "document.getElementById('result-name').textContent === 'sample-bank-transfer.png'"
    page.wait_for_function(shown, timeout=LONG_WAIT)
    page.wait_for_function("document.activeElement.id === 'result-title'")  # focus moves to it again
    assert page.locator(".group").count() == 2


def test_keyboard_only_conversion_puts_focus_on_the_result(page: Any) -> None:
    page.keyboard.press("Tab")
    assert active_id(page) == "files"  # the drop zone's chooser comes first; a sample after it
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.dataset.sample") == "sample-whale.png"
    page.keyboard.press("Enter")
    wait_for_result(page)
    assert active_id(page) == "result-title"
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    assert active_id(page) == "download"  # past Close: the primary action comes next


def test_a_dropped_image_converts_without_another_click(page: Any) -> None:
    settings(page, "1", "97")
    data = base64.b64encode(EMOJI.read_bytes()).decode()
    page.evaluate("""(data) => {
      const bytes = Uint8Array.from(atob(data), (c) => c.charCodeAt(0));
      const transfer = new DataTransfer();
      transfer.items.add(new File([bytes], LONG_NAME, {type: 'image/png'}));
      const drop = new DragEvent('drop', {dataTransfer: transfer, bubbles: true});
      document.getElementById('drop').dispatchEvent(drop);
    }""".replace("LONG_NAME", json.dumps(LONG_NAME)), data)
    wait_for_result(page)
    assert page.inner_text("#result-name") == LONG_NAME
    at_375(page)  # the long name wraps only after _ - . : no piece of it is split across lines
    pieces = page.evaluate("""[...document.getElementById('result-name').childNodes]
      .filter((n) => n.nodeType === 3).map((n) => {
        const range = document.createRange();
        range.selectNodeContents(n);
        return range.getClientRects().length;
      })""")
    assert len(pieces) > 5 and set(pieces) == {1}, pieces
    lines = page.evaluate("document.getElementById('result-name').getClientRects().length")
    assert lines > 1  # it did need to wrap at 375 px


def slow_settings(page: Any) -> None:
    """A search that runs for many seconds: Best, 99.9 %, a 30 s budget."""
    settings(page, "3", "99.9", budget="30")


def test_a_running_job_survives_a_reload_and_can_be_cancelled(page: Any, gateway: str) -> None:
    slow_settings(page)
    page.set_input_files("#files", str(GRADIENT))
    page.wait_for_selector(".job .cancel:visible")
    job_id = page.get_attribute(".job", "data-job-id")
    page.select_option("#tier", "1")  # another image converts while the first one runs
    page.set_input_files("#files", str(ICON))
    page.wait_for_function("document.getElementById('result-name').textContent === 'icon_bank-transfer.png'",
                           timeout=LONG_WAIT)
    assert page.get_attribute(card(job_id), "data-status") in ("queued", "running")
    page.reload()
    page.wait_for_selector(f"{card(job_id)} .cancel:visible")  # the list came back and is polled again
    assert page.inner_text(f"{card(job_id)} .job-name") == GRADIENT.name
    page.click(f"{card(job_id)} .cancel")
    page.wait_for_selector(f"{card(job_id)}[data-status=cancelled]")
    assert page.inner_text(f"{card(job_id)} .job-status") == "Cancelled."
    assert httpx.get(f"{gateway}/v1/jobs/{job_id}").json()["status"] == "cancelled"


def test_a_finished_job_survives_a_reload_and_opens_from_its_link(
        page: Any, browser: Any, gateway: str) -> None:
    settings(page, "1", "96")
    page.set_input_files("#files", str(EMOJI))
    job_id = wait_for_result(page)
    page.reload()
    assert page.evaluate("location.hash") == f"#job={job_id}"
    wait_for_result(page)  # the link reopened the result
    page.wait_for_function("document.getElementById('original').naturalWidth > 0")  # from IndexedDB
    assert page.is_hidden("#original-note")
    assert page.get_attribute(f"{card(job_id)}", "data-status") == "succeeded"
    # someone else's browser: no history, no original; the link still shows the SVG and the heat map
    elsewhere = open_page(browser, f"{gateway}/#job={job_id}")
    other = next(elsewhere)
    assert wait_for_result(other) == job_id
    assert other.is_visible("#original-note") and other.is_checked("#view-diff-radio")
    next(elsewhere, None)  # closes it, checking its console too


def test_a_batch_skips_bad_files_and_converts_the_rest(page: Any, gateway: str, tmp_path: Path) -> None:
    text = tmp_path / "notes.png"
    text.write_text("this is not an image")
    bmp = tmp_path / "scan.bmp"  # the browser reads it; the service refuses it (415, naming the file)
    Image.open(ICON).convert("RGB").save(bmp)
    settings(page, "1", "95")
    page.set_input_files("#files", [str(LOGO), str(EMOJI), str(EXAMPLES["flag_1f1fb-1f1e6"]), str(text),
                                    str(bmp)])
    page.wait_for_selector("#convert:visible")
    assert page.inner_text(".chosen[data-bad] .chosen-name") == "notes.png"
    page.click("button[aria-label='Remove flag_1f1fb-1f1e6.png']")  # the selection can be edited
    assert page.inner_text("#convert") == "Convert 3 images"
    page.wait_for_function("[...document.querySelectorAll('.chosen img')].every(i => i.naturalWidth > 0)")
    screenshot(page, "batch-selection", "#upload")
    page.click("#convert")
    page.wait_for_function("document.querySelectorAll('.group .job[data-status=succeeded]').length === 2",
                           timeout=LONG_WAIT)
    expect_console_error(page, 415)
    skipped = page.locator(".group .job[data-status=skipped]")
    assert sorted(skipped.locator(".job-name").all_inner_texts()) == ["notes.png", "scan.bmp"]
    assert all(t.startswith("Skipped: ") for t in skipped.locator(".job-status").all_inner_texts())
    assert page.is_hidden("#result")  # a finished batch does not jump to a result
    page.select_option(".group .order", "similarity")  # the weakest first: skipped, then by similarity
    ssims = [float(s) for s in page.eval_on_selector_all(
        ".group .job[data-status=succeeded]", "items => items.map(i => i.dataset.ssim)")]
    assert ssims == sorted(ssims)
    statuses = page.eval_on_selector_all(".group .job", "items => items.map(i => i.dataset.status)")
    assert statuses[:2] == ["skipped", "skipped"]
    page.wait_for_function("[...document.querySelectorAll('.job[data-status=succeeded] .thumb img')]"
                           ".every(i => i.naturalWidth > 0)")  # each thumbnail shows its SVG
    with page.expect_download() as download:
        page.click(".group .zip")
    names = zipfile.ZipFile(io.BytesIO(Path(download.value.path()).read_bytes())).namelist()
    assert sorted(names) == sorted([f"{LOGO.stem}.svg", f"{EMOJI.stem}.svg"])
    assert page.evaluate(LOW_CONTRAST) == []
    screenshot(page, "batch", ".group")
    at_375(page)
    assert page.evaluate("[...document.querySelectorAll('.job-name')].every(n => n.scrollHeight < 40)")
    screenshot(page, "batch", ".group")
    page.set_viewport_size({"width": 1280, "height": 900})
    first = page.locator(".group .job[data-status=succeeded]").first
    first.locator(".open").click()
    page.wait_for_function("document.activeElement.id === 'result-title'")
    opened = page.evaluate("document.querySelector('.group').nextElementSibling.id")
    assert opened == "result"  # the result opens right under its batch


def test_a_batch_can_be_cancelled_as_a_whole(page: Any, gateway: str) -> None:
    slow_settings(page)
    page.set_input_files("#files", [str(GRADIENT), str(EXAMPLES["text_000"])])
    page.click("#convert")
    page.wait_for_selector(".group .cancel-all:visible")
    page.click(".group .cancel-all")
    page.wait_for_function("document.querySelectorAll('.group .job[data-status=cancelled]').length === 2")
    assert page.is_hidden(".group .cancel-all")
    for job_id in page.eval_on_selector_all(".group .job", "items => items.map(i => i.dataset.jobId)"):
        assert httpx.get(f"{gateway}/v1/jobs/{job_id}").json()["status"] == "cancelled"


def test_a_file_that_is_not_an_image_is_refused_in_plain_words(page: Any, tmp_path: Path) -> None:
    note = tmp_path / "notes.png"
    note.write_text("this is not an image")
    page.set_input_files("#files", str(note))
    page.wait_for_selector("#error:not([hidden])")
    assert page.inner_text("#error").startswith("notes.png: not readable as an image")
    assert page.is_hidden("#result") and page.is_hidden("#history")  # nothing was sent


def test_failures_and_refusals_read_in_plain_words(page: Any) -> None:
    words = page.evaluate("""async () => {
      const api = await import('/static/api.js');
      return {
        timeout: api.failureText({error: 'the conversion exceeded its time limit'}),
        crash: api.failureText({error: 'internal error while converting; the failure was logged'}),
        pixels: api.friendlyDetail('the image is 5000x5000 pixels; the limit is 16,777,216 pixels'),
        reason: api.plainReason('simple image, target 0.98: the router model expects a few measured '
                                + 'candidates to reach it (p = 0.87)'),
      };
    }""")
    assert words["timeout"] == ("This image took longer than the time allowed. Try a smaller image, "
                                "Speed: fast, or a lower quality target.")
    assert "SoftTimeLimit" not in words["crash"] and "Try again" in words["crash"]
    assert words["pixels"] == "the image is 5000 \u00d7 5000 pixels; the limit is 4096 \u00d7 4096 pixels"
    assert words["reason"] == ("Simple image, target 98 %: the model expects a few measured tries (balanced) "
                               "to reach it (87 % sure)")
    refusal = {"detail": [{"loc": ["body", "target_ssim"], "msg": "Input should be less than or equal to 1"}]}
    page.route("**/v1/jobs", lambda route: route.fulfill(status=422, content_type="application/json",
                                                         body=json.dumps(refusal)))  # the API's own wording
    page.set_input_files("#files", str(ICON))
    page.wait_for_selector("#error:not([hidden])")
    assert page.inner_text("#error") == "svgai cannot use this: Quality target should be at most 100 %."
    expect_console_error(page, 422)


def test_the_page_asks_for_an_api_key_when_one_is_required(keyed_page: Any) -> None:
    page = keyed_page
    assert page.is_hidden("#key-box")
    settings(page, "1", "98")
    page.set_input_files("#files", str(ICON))
    page.wait_for_selector("#error:not([hidden])")
    assert page.inner_text("#error").startswith("An API key is needed")
    assert page.is_visible("#api-key") and active_id(page) == "api-key"
    expect_console_error(page, 401)
    page.fill("#api-key", API_KEY)
    page.click("#convert")
    wait_for_result(page)
    assert page.is_hidden("#error")
    assert page.evaluate("sessionStorage.getItem('svgai-key')") == API_KEY
    stored = page.evaluate("Object.values(localStorage).join(' ')")
    assert API_KEY not in stored and "svgai" not in page.evaluate("document.cookie")


def test_controls_are_labelled_and_keyboard_operable(page: Any) -> None:
    for control in ("files", "tier", "target", "overrides", "budget", "api-key", "zoom", "overlay-slider"):
        assert page.locator(f"label[for={control}]").count() == 1, control
    page.focus("#tier")
    page.keyboard.press("Shift+Tab")
    page.keyboard.press("Shift+Tab")
    page.keyboard.press("Shift+Tab")
    page.keyboard.press("Shift+Tab")  # back past the three samples onto the file input
    assert active_id(page) == "files"
    outline = page.evaluate("getComputedStyle(document.querySelector('label[for=files]')).outlineStyle")
    assert outline == "solid"  # its visible label shows the focus ring
    page.evaluate("""() => {  // a file dropped on the drop zone is chosen like a picked one
      const data = new DataTransfer();
      data.items.add(new File(['x'], 'dropped.png', {type: 'image/png'}));
      const drop = new DragEvent('drop', {dataTransfer: data, bubbles: true});
      document.getElementById('drop').dispatchEvent(drop);
    }""")
    page.wait_for_selector("#error:not([hidden])")
    assert page.inner_text("#error").startswith("dropped.png: not readable as an image")
    page.focus("#advanced summary")
    page.keyboard.press("Enter")
    assert page.is_visible("#overrides")
    page.fill("#overrides", "{not json")
    page.set_input_files("#files", str(ICON))
    page.wait_for_selector("#error:has-text('not valid JSON')")
    assert active_id(page) == "overrides"


def png_bytes(seed: int) -> bytes:
    """A small image no other test submits."""
    rgba = np.zeros((24, 24, 4), np.uint8)
    rgba[...] = (seed % 256, 40, 200, 255)
    rgba[6:18, 6:18] = (255, 255, 255, 255)
    buffer = io.BytesIO()
    Image.fromarray(rgba, "RGBA").save(buffer, "PNG")
    return buffer.getvalue()


def test_diff_png_answers(gateway: str, redis_url: str) -> None:
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
