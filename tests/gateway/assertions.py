"""Assertions shared by the gateway tests."""

from __future__ import annotations

import requests


def assert_json_error(resp: requests.Response, status: int, code: str) -> dict[str, object]:
    assert resp.status_code == status, (resp.status_code, resp.text)
    assert resp.headers["Content-Type"].startswith("application/json")
    body = resp.json()
    assert set(body) == {"code", "message", "details", "request_id"}
    assert body["code"] == code
    assert body["details"] is None
    assert body["request_id"] == resp.headers["X-Request-ID"]
    return body
