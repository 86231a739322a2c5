"""Console tests: Debian's chromium, headless, driven by Playwright, against the test stack.

`playwright install` downloads browser builds and cannot run here: Playwright launches
the system's /usr/bin/chromium (scripts/test installs it when missing).
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, Playwright, expect, sync_playwright

from tests.console.browser_log import BrowserLog
from tests.console.features import Features
from tests.support.stack import Stack

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = os.environ.get("CHROMIUM_BIN", "/usr/bin/chromium")
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SCREENSHOTS = ROOT / "docs" / "screenshots"
# Assertions wait for the page to get there; on a busy 2-core machine a company's founding
# alone can take seconds.
expect.set_options(timeout=30_000)


@pytest.fixture(scope="session")
def features(stack: Stack) -> Features:
    return Features.of(stack.gateway)


@pytest.fixture(scope="session")
def playwright() -> Iterator[Playwright]:
    if not Path(CHROMIUM).is_file():
        pytest.fail(
            f"{CHROMIUM} missing: apt-get install -y chromium (scripts/test does it as root)"
        )
    with sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="session")
def browser(playwright: Playwright) -> Iterator[Browser]:
    chromium = playwright.chromium.launch(
        executable_path=CHROMIUM, args=CHROMIUM_FLAGS, headless=True
    )
    yield chromium
    chromium.close()


@pytest.fixture
def context(browser: Browser, stack: Stack) -> Iterator[BrowserContext]:
    ctx = browser.new_context(base_url=stack.gateway, viewport={"width": 1280, "height": 860})
    ctx.set_default_timeout(20_000)
    yield ctx
    ctx.close()


@pytest.fixture
def page(context: BrowserContext) -> Page:
    return context.new_page()


@pytest.fixture
def log(page: Page, stack: Stack) -> BrowserLog:
    return BrowserLog.attach(page, stack.gateway)


@pytest.fixture(scope="session")
def sample_clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An 8 s H.264/AAC MP4 of a few MB (big enough for a visible upload progress)."""
    out = tmp_path_factory.mktemp("clips") / "clip.mp4"
    cmd = [
        "ffmpeg", "-hide_banner", "-loglevel", "error", "-y",
        "-f", "lavfi", "-i", "testsrc2=size=640x360:rate=25:duration=8",
        "-f", "lavfi", "-i", "sine=frequency=440:duration=8",
        "-c:v", "libx264", "-preset", "ultrafast", "-b:v", "3M", "-pix_fmt", "yuv420p",
        "-c:a", "aac", "-b:a", "96k", "-movflags", "+faststart", "-shortest", str(out),
    ]  # fmt: skip
    subprocess.run(cmd, check=True)
    return out


def screenshot(page: Page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)
