"""The gateway image (the Swarm stack's) carries the console: built from gateway/Dockerfile,
run with its entrypoint, it serves the same files with the same headers, and the page
starts in chromium from it."""

from __future__ import annotations

import shutil
import subprocess
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from playwright.sync_api import Browser, expect

from tests.console.browser_log import BrowserLog
from tests.console.small_gateway import free_port

ROOT = Path(__file__).resolve().parents[2]
CONSOLE = ROOT / "gateway" / "console"
BASE_IMAGE = "nginx:1.27-alpine"


def docker(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["docker", *args], capture_output=True, text=True, check=check, timeout=300
    )


@pytest.fixture(scope="module")
def image_url() -> Iterator[str]:
    if shutil.which("docker") is None or docker("info", check=False).returncode != 0:
        pytest.skip("no usable docker here (the image is checked where docker runs)")
    if docker("image", "inspect", BASE_IMAGE, check=False).returncode != 0:
        pytest.skip(f"{BASE_IMAGE} is not in the local image store (no registry reachable)")
    tag = f"media-resource/gateway:console-test-{uuid.uuid4().hex[:8]}"
    name = f"console-test-{uuid.uuid4().hex[:8]}"
    docker("build", "-q", "-t", tag, str(ROOT / "gateway"))
    port = free_port()
    try:
        hosts = [
            f"--add-host={svc}:127.0.0.1"
            for svc in ("company-service", "user-service", "video-service")
        ]
        docker("run", "-d", "--rm", "--name", name, *hosts, "-p", f"127.0.0.1:{port}:8080", tag)
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        while True:
            try:
                if requests.get(f"{url}/healthz", timeout=1).ok:
                    break
            except requests.RequestException:
                pass
            if time.monotonic() > deadline:
                raise AssertionError(docker("logs", name, check=False).stderr)
            time.sleep(0.2)
        yield url
    finally:
        docker("rm", "-f", name, check=False)
        docker("image", "rm", "-f", tag, check=False)


def test_image_serves_the_console_files(image_url: str) -> None:
    page = requests.get(f"{image_url}/", timeout=10)
    assert page.status_code == 200
    assert page.text == (CONSOLE / "index.html").read_text(encoding="utf-8")
    assert "script-src 'self'" in page.headers["Content-Security-Policy"]
    for path in (
        "js/main.js",
        "js/views/player.js",
        "vendor/hls.js/hls.min.mjs",
        "vendor/hls.js/LICENSE",
    ):
        resp = requests.get(f"{image_url}/console/{path}", timeout=10)
        assert resp.status_code == 200, path
        assert resp.content == (CONSOLE / path).read_bytes(), path
    assert requests.get(f"{image_url}/console/package.json", timeout=10).status_code == 404


def test_page_starts_from_the_image(browser: Browser, image_url: str) -> None:
    context = browser.new_context(base_url=image_url)
    try:
        page = context.new_page()
        log = BrowserLog.attach(page, image_url)
        page.goto("/")
        expect(page.get_by_role("heading", name="Log in")).to_be_visible()
        assert log.errors == []
        assert log.foreign_urls() == []
    finally:
        context.close()
