"""Upload limits and session upkeep in the browser: a 413 from nginx shown in the API's
words, and the access token refreshed before it expires (the page's clock moved)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from playwright.sync_api import Browser, Page, expect

from tests.console import steps
from tests.console.conftest import screenshot
from tests.console.features import Features
from tests.console.small_gateway import UPLOAD_LIMIT_MB, small_limit_gateway
from tests.support.client import Api
from tests.support.stack import Stack


@pytest.fixture
def small_gateway(stack: Stack, tmp_path: Path) -> Iterator[str]:
    with small_limit_gateway(stack.directory, tmp_path) as url:
        yield url


def test_too_large_upload_shows_the_gateway_words(
    browser: Browser, small_gateway: str, features: Features
) -> None:
    context = browser.new_context(base_url=small_gateway)
    try:
        page = context.new_page()
        steps.admin_account(page, Api(small_gateway), features)
        big = b"\0" * (UPLOAD_LIMIT_MB + 2) * 1024 * 1024
        token = page.evaluate(
            "JSON.parse(sessionStorage.getItem('media-resource.session')).accessToken"
        )
        direct = requests.post(
            f"{small_gateway}/api/v1/videos",
            headers={"Authorization": f"Bearer {token}"},
            files={"file": ("big.mp4", big, "video/mp4")},
            data={"title": "big"},
            timeout=30,
        )
        assert direct.status_code == 413, direct.text
        message = direct.json()["message"]
        assert f"{UPLOAD_LIMIT_MB} MB" in message
        shown = steps.upload_refused(page, "big.mp4", big, "video/mp4")
        assert message in shown
        screenshot(page, "upload-too-large")
    finally:
        context.close()


def test_access_token_is_refreshed_before_it_expires(
    page: Page, api: Api, features: Features
) -> None:
    page.clock.install()
    steps.admin_account(page, api, features)
    before = page.evaluate("JSON.parse(sessionStorage.getItem('media-resource.session'))")
    lifetime_ms = before["expiresAt"] - page.evaluate("Date.now()")
    assert lifetime_ms > 60_000
    with page.expect_response("**/api/v1/auth/refresh") as refreshed:
        page.clock.run_for(int(lifetime_ms - 30_000))
    assert refreshed.value.status == 200
    after = page.evaluate("JSON.parse(sessionStorage.getItem('media-resource.session'))")
    assert after["accessToken"] != before["accessToken"]
    assert after["refreshToken"] != before["refreshToken"]
    # Still logged in: the next screen loads with the new token.
    page.goto("/#/points")
    expect(page.locator("#balance")).to_have_text("0")
