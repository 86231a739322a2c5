"""Steps of the console walk, each as a person would do it in the browser."""

from __future__ import annotations

import re
from pathlib import Path

from playwright.sync_api import CDPSession, Page, expect

from tests.console.features import Features
from tests.support.client import PASSWORD, Api, unique


def create_company(page: Page) -> tuple[str, str]:
    """Sign up a company with its admin; lands in the library. Returns (company, email)."""
    company, email = unique("Console Co"), f"{unique('admin')}@example.com"
    page.goto("/")
    expect(page.get_by_role("heading", name="Log in")).to_be_visible()
    page.get_by_role("link", name="Create a company").click()
    page.get_by_label("Company name").fill(company)
    page.get_by_label("Your name").fill("Ada Admin")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Create company").click()
    expect(page.get_by_role("heading", name="Library")).to_be_visible()
    expect(page.locator("#who-name")).to_contain_text("(admin)")
    return company, email


def admin_account(page: Page, api: Api, features: Features) -> str:
    """A new company and its admin, logged in; returns the admin's email."""
    if features.company_with_admin:
        return create_company(page)[1]
    # Before revision 2: the company, then the open sign-up (its first user is the admin).
    user = api.signup(api.create_company()["id"])
    log_in(page, user["email"])
    return str(user["email"])


def log_in(page: Page, email: str, password: str = PASSWORD) -> None:
    page.goto("/#/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="Library")).to_be_visible()


def log_out(page: Page) -> None:
    page.get_by_role("button", name="Log out").click()
    expect(page.get_by_role("heading", name="Log in")).to_be_visible()


def throttle_uploads(page: Page, bytes_per_second: int) -> CDPSession:
    """Chromium's own network throttling (DevTools protocol) on this page's uploads."""
    cdp = page.context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send(
        "Network.emulateNetworkConditions",
        {
            "offline": False,
            "latency": 0,
            "downloadThroughput": -1,
            "uploadThroughput": bytes_per_second,
        },
    )
    return cdp


def upload_refused(page: Page, name: str, data: bytes, mime: str) -> str:
    """Try to upload a file the API refuses; returns the error the page shows."""
    page.goto("/#/upload")
    page.get_by_label("Title").fill(unique("Refused"))
    page.get_by_label("Video file").set_input_files(
        {"name": name, "mimeType": mime, "buffer": data}
    )
    page.get_by_role("button", name="Upload").click()
    alert = page.get_by_role("alert")
    expect(alert).to_be_visible()
    return alert.inner_text()


def start_upload(page: Page, title: str, clip: Path) -> None:
    page.goto("/#/upload")
    page.get_by_label("Title").fill(title)
    page.get_by_label("Description (optional)").fill("Made by the console test")
    page.get_by_label("Video file").set_input_files(str(clip))
    page.get_by_role("button", name="Upload").click()


def progress_value(page: Page) -> float:
    return float(page.locator("#upload-progress").evaluate("el => el.value"))


def wait_progress_between(page: Page, low: float, high: float) -> float:
    """Wait until the upload bar shows a value in (low, high); returns it."""
    page.wait_for_function(
        "([low, high]) => {"
        " const v = document.getElementById('upload-progress')?.value ?? 0;"
        " return v > low && v < high; }",
        arg=[low, high],
        polling=50,
    )
    return progress_value(page)


def uploaded_video_id(page: Page) -> int:
    link = page.locator(".upload-result a").first
    expect(link).to_be_visible(timeout=60_000)
    match = re.search(r"#/videos/(\d+)$", link.get_attribute("href") or "")
    assert match, link.get_attribute("href")
    return int(match.group(1))


def play_until(page: Page, seconds: float) -> None:
    """Start the player (muted: autoplay rules) and wait for currentTime to pass `seconds`."""
    page.wait_for_function("() => document.getElementById('player')?.dataset.source")
    page.locator("#player").evaluate("v => { v.muted = true; return v.play(); }")
    page.wait_for_function(
        f"() => document.getElementById('player').currentTime > {seconds}", timeout=30_000
    )


def invite(page: Page, email: str) -> tuple[str, str]:
    """Invite `email` as a member; returns (token, link) as the page shows them once."""
    page.goto("/#/members")
    page.get_by_label("Email").fill(email)
    page.get_by_role("button", name="Create invitation").click()
    token = page.locator("#invite-token")
    expect(token).to_be_visible()
    expect(page.get_by_role("list", name="Pending invitations")).to_contain_text(email)
    return token.input_value(), page.locator("#invite-link").input_value()


def accept_invitation(page: Page, link: str) -> None:
    page.goto(link)
    expect(page.get_by_role("heading", name="Accept an invitation")).to_be_visible()
    page.get_by_label("Your name").fill("Max Member")
    page.get_by_label("Choose a password").fill(PASSWORD)
    page.get_by_role("button", name="Join").click()
    expect(page.get_by_role("heading", name="Library")).to_be_visible()
    expect(page.locator("#who-name")).to_contain_text("(member)")
