"""The gateway's own behaviour on the real stack: health, docs, ids, JSON errors."""

from __future__ import annotations

from tests.support.client import Api, assert_error


def test_healthz_and_docs_hub(api: Api) -> None:
    assert api.get("/healthz").status_code == 200
    hub = api.get("/docs")
    assert hub.status_code == 200
    for slug in ("company", "user", "video"):
        assert f"/docs/{slug}" in hub.text
        ui = api.get(f"/docs/{slug}")
        assert ui.status_code == 200, slug
        assert "swagger" in ui.text.lower()
        spec = api.get(f"/openapi/{slug}.json")
        assert spec.status_code == 200
        assert spec.json()["paths"], slug


def test_internal_paths_and_unknown_paths_are_json_404(api: Api) -> None:
    for path in ("/internal/v1/companies/1", "/internal/v1/users/1/points", "/nope", "/api/v2/x"):
        resp = api.request("GET", path)
        assert_error(resp, 404, "NOT_FOUND")
    resp = api.post("/internal/v1/users/1/points", json={"amount": 10})
    assert_error(resp, 404, "NOT_FOUND")


def test_request_id_is_kept_when_sane_and_replaced_otherwise(api: Api) -> None:
    kept = api.get("/api/v1/auth/jwks.json", headers={"X-Request-ID": "trace-42.abc"})
    assert kept.headers["X-Request-ID"] == "trace-42.abc"
    replaced = api.get("/api/v1/auth/jwks.json", headers={"X-Request-ID": "bad id <script>"})
    assert replaced.headers["X-Request-ID"] not in ("", "bad id <script>")
    err = api.get("/api/v1/users/me", headers={"X-Request-ID": "trace-43"})
    assert_error(err, 401, "UNAUTHORIZED")
    assert err.json()["request_id"] == "trace-43"


def test_garbage_bodies_never_5xx(api: Api) -> None:
    bodies = [
        b"{",
        b"null",
        b"[]",
        b'{"name": 12}',
        b'{"name": "\\ud800"}',
        b"\xff" * 64,
        b'{"name": "' + b"a" * 100_000 + b'"}',
        b'{"email": {"$ne": 1}, "password": []}',
    ]
    for path in (
        "/api/v1/companies",
        "/api/v1/users",
        "/api/v1/auth/login",
        "/api/v1/auth/refresh",
    ):
        for raw in bodies:
            resp = api.post(path, data=raw, headers={"Content-Type": "application/json"})
            assert resp.status_code in (400, 401, 404, 409, 422), (path, raw[:40], resp.text)
            assert resp.json()["code"]
