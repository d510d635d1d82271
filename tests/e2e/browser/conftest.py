"""One real server for the browser tests: uvicorn in a thread on a free port, a temporary var dir and
SQLite database with the demo loaded once per session; Debian's chromium driven by Playwright.

Skipped, with the reason, when chromium or Playwright is missing (CI installs both).
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from publicdata import migrate
from publicdata.config import Settings
from publicdata.demo.load import load_demo
from publicdata.platform import Platform
from tests.e2e.browser.webapp import portal_app

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ARTIFACTS = Path(__file__).resolve().parents[3] / "test-artifacts" / "browser"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="session")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    import uvicorn

    root = tmp_path_factory.mktemp("browser-server")
    url = f"sqlite:///{root / 'publicdata.sqlite3'}"
    migrate.upgrade(url)
    settings = Settings(
        var_dir=root / "var",
        tick_interval_minutes=0,
        database_url=url,
        secret_key="browser-test-secret-key-not-for-production",
        argon2_time_cost=1,
        argon2_memory_kib=1024,
        argon2_parallelism=1,
    )
    platform = Platform.from_settings(settings)
    load_demo(platform)
    port = _free_port()
    server = uvicorn.Server(
        uvicorn.Config(portal_app(platform), host="127.0.0.1", port=port, log_level="warning")
    )
    thread = threading.Thread(target=server.run, name="publicdata-browser-server", daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the test server did not start")
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    if not CHROMIUM.exists():
        pytest.skip("chromium is not installed at /usr/bin/chromium (apt-get install -y chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.skip("Playwright for Python is not installed (pip install playwright)")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        yield instance
        instance.close()


@pytest.fixture
def page(browser: Any, live_server: str) -> Iterator[Any]:
    """A fresh browser context (no cookies) per test, Chinese by default, phone-to-desktop widths."""
    context = browser.new_context(base_url=live_server, locale="zh-CN", accept_downloads=True)
    context.set_default_timeout(15_000)
    tab = context.new_page()
    yield tab
    context.close()


@pytest.fixture
def shoot() -> Callable[[Any, str], None]:
    """Save a full-page screenshot under test-artifacts/browser/<name>.png."""

    def take(tab: Any, name: str) -> None:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        tab.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)

    return take
