"""The web console's files through the gateway: the page at /, assets under /console/,
the security headers, JSON errors for the rest, and the vendored hls.js as pinned."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import requests

from tests.gateway.assertions import assert_json_error
from tests.gateway.conftest import Gateway

ROOT = Path(__file__).resolve().parents[2]
CONSOLE = ROOT / "gateway" / "console"


def csp_directives(resp: requests.Response) -> dict[str, str]:
    policy = resp.headers["Content-Security-Policy"]
    return {part.split()[0]: part.strip() for part in policy.split(";") if part.strip()}


def test_the_page_at_root(gateway: Gateway, http: requests.Session) -> None:
    resp = http.get(f"{gateway.url}/")
    assert resp.status_code == 200
    assert resp.headers["Content-Type"].startswith("text/html")
    assert resp.text == (CONSOLE / "index.html").read_text(encoding="utf-8")
    assert resp.headers["X-Request-ID"]
    assert resp.headers["X-Content-Type-Options"] == "nosniff"
    assert resp.headers["Referrer-Policy"] == "no-referrer"
    assert resp.headers["X-Frame-Options"] == "DENY"
    csp = csp_directives(resp)
    assert csp["default-src"] == "default-src 'none'"
    assert csp["script-src"] == "script-src 'self'"  # no inline script, no other origin
    assert csp["connect-src"] == "connect-src 'self'"
    assert csp["frame-ancestors"] == "frame-ancestors 'none'"


@pytest.mark.parametrize(
    ("path", "content_type"),
    [
        ("/console/js/main.js", "text/javascript"),
        ("/console/app.css", "text/css"),
        ("/console/favicon.svg", "image/svg+xml"),
        ("/console/vendor/hls.js/hls.min.mjs", "text/javascript"),
        ("/console/vendor/hls.js/hls.worker.js", "text/javascript"),
        ("/console/vendor/hls.js/LICENSE", "text/plain"),
    ],
)
def test_assets(gateway: Gateway, http: requests.Session, path: str, content_type: str) -> None:
    resp = http.get(f"{gateway.url}{path}")
    assert resp.status_code == 200
    assert resp.headers["Content-Type"].startswith(content_type)
    assert "script-src 'self'" in resp.headers["Content-Security-Policy"]
    assert resp.headers["X-Content-Type-Options"] == "nosniff"
    assert resp.headers["Cache-Control"] == "no-cache"
    again = http.get(f"{gateway.url}{path}", headers={"If-None-Match": resp.headers["ETag"]})
    assert again.status_code == 304


@pytest.mark.parametrize(
    "path",
    ["/console/nope.js", "/console/js/", "/console/js", "/console/../docs.html", "/index.html"],
)
def test_unknown_console_paths_are_json_404(
    gateway: Gateway, http: requests.Session, path: str
) -> None:
    resp = http.get(f"{gateway.url}{path}")
    if resp.status_code == 400:  # nginx refuses the ../ outright
        assert_json_error(resp, 400, "BAD_REQUEST")
    else:
        assert_json_error(resp, 404, "NOT_FOUND")


def test_writes_to_the_console_are_json_405(gateway: Gateway, http: requests.Session) -> None:
    assert_json_error(http.post(f"{gateway.url}/", data=b"x"), 405, "METHOD_NOT_ALLOWED")
    assert_json_error(
        http.post(f"{gateway.url}/console/app.css", data=b"x"), 405, "METHOD_NOT_ALLOWED"
    )


def test_no_inline_script_and_no_other_origin_in_our_files() -> None:
    html = (CONSOLE / "index.html").read_text(encoding="utf-8")
    assert re.findall(r"<script\b[^>]*>", html) == [
        '<script type="module" src="/console/js/main.js">'
    ]
    assert not re.search(r"\son[a-z]+=", html)  # no inline event handlers
    for path in [*CONSOLE.glob("js/**/*.js"), CONSOLE / "app.css", CONSOLE / "index.html"]:
        text = path.read_text(encoding="utf-8")
        assert not re.search(r"https?://", text), path
        assert "innerHTML" not in text, path


def test_vendored_hls_js_is_the_pinned_release_with_its_licence() -> None:
    lock = json.loads((ROOT / "gateway" / "package-lock.json").read_text(encoding="utf-8"))
    pinned = lock["packages"]["node_modules/hls.js"]
    manifest = json.loads((ROOT / "gateway" / "package.json").read_text(encoding="utf-8"))
    assert manifest["dependencies"]["hls.js"] == pinned["version"]  # exact, no range
    vendored = (CONSOLE / "vendor" / "hls.js" / "hls.min.mjs").read_text(encoding="utf-8")
    assert f'"{pinned["version"]}"' in vendored
    licence = (CONSOLE / "vendor" / "hls.js" / "LICENSE").read_text(encoding="utf-8")
    assert pinned["license"] == "Apache-2.0" and "Apache License" in licence
