"""The web page's browser-test fixtures, a pytest plugin (a test module names it in `pytest_plugins`): a real
gateway (uvicorn) with a Celery worker and Redis on loopback, Debian's chromium driven by Playwright (no
browser download), and a fresh page at the gateway (tests/web_helpers.py has what else the tests share)."""

from collections.abc import Iterator
from typing import Any

import pytest

from tests.service_fixtures import celery_worker, redis_url, service_env, start_gateway, stop  # noqa: F401
from tests.web_helpers import CHROMIUM, open_page


@pytest.fixture(scope="module")
def gateway(service_env: dict[str, str], celery_worker: object) -> Iterator[str]:  # noqa: F811
    proc, base = start_gateway(service_env)
    yield base
    stop(proc)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield browser
        browser.close()


@pytest.fixture
def page(browser: Any, gateway: str) -> Iterator[Any]:
    yield from open_page(browser, gateway)
