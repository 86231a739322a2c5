"""Redirects through the gateway never echo the request's Host: nginx's own, the services'
(rebuilt from the Host header, as frameworks do), and none out of the internal locations."""

from __future__ import annotations

import pytest
import requests

from tests.gateway.assertions import assert_json_error
from tests.gateway.conftest import Gateway

EVIL = "evil.example:4444"


def test_nginx_redirect_is_a_path(gateway: Gateway, http: requests.Session) -> None:
    for host in (EVIL, "evil.example"):
        resp = http.get(f"{gateway.url}/docs/", headers={"Host": host}, allow_redirects=False)
        assert resp.status_code == 301
        assert resp.headers["Location"] == "/docs"


@pytest.mark.parametrize(
    ("location", "expected"),
    [
        ("http://{host}/api/v1/companies", "/api/v1/companies"),
        ("https://{host}/api/v1/companies?limit=5&offset=0", "/api/v1/companies?limit=5&offset=0"),
        ("HTTP://{host}/a/b/", "/a/b/"),
        ("http://{host}", "/"),
        ("http://{host}?x=1", "/?x=1"),
        ("//{host}/x#frag", "/x#frag"),
        ("http://user@{host}/x", "/x"),
        ("/already/a/path", "/already/a/path"),
        ("relative/path", "relative/path"),
    ],
)
def test_service_redirects_lose_scheme_and_host(
    gateway: Gateway, http: requests.Session, location: str, expected: str
) -> None:
    resp = http.get(
        f"{gateway.url}/api/v1/companies/redirect",
        params={"to": location},
        headers={"Host": EVIL},
        allow_redirects=False,
    )
    assert resp.status_code == 307
    assert resp.headers["Location"] == expected
    assert "evil" not in resp.headers["Location"]


def test_storage_folder_is_not_found_not_redirected(
    gateway: Gateway, http: requests.Session
) -> None:
    """nginx redirects a folder to its slash; under /_protected that would show the path."""
    resp = http.get(f"{gateway.url}/api/v1/videos/5/stream", allow_redirects=False)
    assert_json_error(resp, 404, "NOT_FOUND")
    assert "Location" not in resp.headers


def test_store_redirect_is_bad_gateway(gateway: Gateway, http: requests.Session) -> None:
    resp = http.get(f"{gateway.url}/api/v1/videos/6/stream", allow_redirects=False)
    assert_json_error(resp, 502, "SERVICE_UNAVAILABLE")
    assert "Location" not in resp.headers
