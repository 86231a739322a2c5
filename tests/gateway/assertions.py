"""Assertions shared by the gateway tests."""

from __future__ import annotations

import requests

from tests.gateway.rawhttp import RawResponse


def assert_json_error(resp: requests.Response, status: int, code: str) -> dict[str, object]:
    assert resp.status_code == status, (resp.status_code, resp.text)
    assert resp.headers["Content-Type"].startswith("application/json")
    body = resp.json()
    assert set(body) == {"code", "message", "details", "request_id"}
    assert body["code"] == code
    assert body["details"] is None
    assert body["request_id"] == resp.headers["X-Request-ID"]
    return body


def assert_raw_json_error(resp: RawResponse, status: int, code: str) -> dict[str, object]:
    """The contract's error body on a raw-socket answer, with the id of X-Request-ID."""
    assert resp.status == status, (resp.status_line, resp.body[:300])
    assert resp.header("Content-Type").startswith("application/json")
    body = resp.json()
    assert set(body) == {"code", "message", "details", "request_id"}, body
    assert body["code"] == code
    assert body["details"] is None
    assert body["request_id"] == resp.header("X-Request-ID")  # exactly one, and the same
    return body  # type: ignore[no-any-return]
