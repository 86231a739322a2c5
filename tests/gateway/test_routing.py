"""The gateway's config and routing, checked on real nginx with the rendered template:
rendering, which service gets which path, unknown paths, request ids, upstream errors."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest
import requests

from devstack.nginx import retry_after_seconds
from tests.gateway.assertions import assert_json_error
from tests.gateway.conftest import (
    LOCAL_KEY,
    ROOT,
    Gateway,
    Upstreams,
    envsubst_available,
    free_port,
    nginx_binary,
)

HEX32 = re.compile(r"^[0-9a-f]{32}$")


# ----------------------------------------------------------------------------- rendering
def test_template_renders_without_leftovers(gateway: Gateway) -> None:
    text = gateway.conf.read_text()
    assert "${" not in text
    assert "$request_id" in text  # nginx variables untouched


@pytest.mark.skipif(not envsubst_available(), reason="envsubst (gettext-base) not installed")
def test_swarm_rendering_by_the_image_entrypoint(tmp_path: Path, upstreams: Upstreams) -> None:
    out = tmp_path / "swarm.conf"
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "TEMPLATE": str(ROOT / "gateway" / "nginx.conf.template"),
    }
    subprocess.run(
        ["sh", str(ROOT / "gateway" / "entrypoint.sh"), "--render", str(out)], env=env, check=True
    )
    text = out.read_text()
    assert "${" not in text
    # Service names are resolved per request (they follow replaced tasks), never at start.
    assert "set $company_proxy company-service:8000;" in text
    assert "proxy_pass http://$company_proxy;" in text
    assert "server company-service:8000" not in text
    assert "valid=2s" in text
    assert "resolver 127.0.0.11" in text
    assert "listen 8080 default_server;" in text
    assert "client_max_body_size 2048m;" in text
    assert "client_max_body_size 2049m;" in text
    assert "add_header Retry-After 1 always;" in text  # 60 a minute: one more each second
    slow = tmp_path / "slow.conf"
    subprocess.run(
        ["sh", str(ROOT / "gateway" / "entrypoint.sh"), "--render", str(slow)],
        env={**env, "AUTH_RATE_LIMIT_PER_MIN": "7"},
        check=True,
    )
    assert "add_header Retry-After 9 always;" in slow.read_text()  # ceil(60 / 7)
    assert [retry_after_seconds(n) for n in (1, 7, 59, 60, 61, 100000)] == [60, 9, 2, 1, 1, 1]
    # nginx -t on it, with the Swarm service names (unresolvable here) pointed at loopback
    # and the container paths moved into tmp_path.
    for name in ("company", "user", "video"):
        text = text.replace(f"{name}-service:8000", f"127.0.0.1:{upstreams.ports[name]}")
    text = text.replace("listen 8080 ", f"listen 127.0.0.1:{free_port()} ")
    text = text.replace("listen 127.0.0.1:8081;", f"listen 127.0.0.1:{free_port()};")
    text = text.replace("/tmp/nginx", str(tmp_path))
    text = text.replace("/etc/nginx/media/docs.html", str(ROOT / "gateway" / "docs.html"))
    out.write_text(text)
    result = subprocess.run(
        [nginx_binary(), "-t", "-p", str(tmp_path), "-e", str(tmp_path / "e.log"), "-c", str(out)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr


# ----------------------------------------------------------------------------- routing
@pytest.mark.parametrize(
    ("path", "service"),
    [
        ("/api/v1/companies", "company"),
        ("/api/v1/companies/5?x=1", "company"),
        ("/api/v1/companies/5/plan", "company"),
        ("/docs/company", "company"),
        ("/docs/company/oauth2-redirect", "company"),
        ("/openapi/company.json", "company"),
        ("/api/v1/users", "user"),
        ("/api/v1/users/me/points?limit=5", "user"),
        ("/api/v1/invitations", "user"),
        ("/api/v1/invitations/5", "user"),
        ("/api/v1/auth/jwks.json", "user"),
        ("/api/v1/auth/logout", "user"),
        ("/docs/user", "user"),
        ("/openapi/user.json", "user"),
        ("/api/v1/videos", "video"),
        ("/api/v1/videos/9?deleted=true", "video"),
        ("/docs/video", "video"),
        ("/openapi/video.json", "video"),
    ],
)
def test_routes_to_the_right_service(
    gateway: Gateway, http: requests.Session, path: str, service: str
) -> None:
    resp = http.get(gateway.url + path, headers={"X-Accel-Available": "1"})
    assert resp.status_code == 200, resp.text
    seen = resp.json()
    assert seen["service"] == service
    assert seen["path"] == path  # path and query passed unchanged
    headers = seen["headers"]
    # only video API calls carry X-Accel-Available, and never the client's own value
    expected = "1" if path.startswith("/api/v1/videos") else None
    assert headers.get("x-accel-available") == expected
    assert headers["x-forwarded-for"] == "127.0.0.1"
    assert headers["x-forwarded-proto"] == "http"
    assert headers["x-forwarded-host"] == gateway.url.removeprefix("http://")
    assert headers["host"] == gateway.url.removeprefix("http://")
    assert headers["x-request-id"] == resp.headers["X-Request-ID"]


def test_methods_and_bodies_pass(gateway: Gateway, http: requests.Session) -> None:
    for method in ("POST", "PUT", "PATCH", "DELETE"):
        resp = http.request(method, f"{gateway.url}/api/v1/companies/1", json={"name": "x"})
        assert resp.status_code == 200
        assert resp.json()["method"] == method
        assert resp.json()["body_len"] == len(b'{"name": "x"}')


@pytest.mark.parametrize(
    "path",
    [
        "/nope",
        "/api",
        "/api/v2/companies",
        "/api/v1/companiesX",
        "/api/v1/usersX",
        "/api/v1/videosX",
        "/api/v1/auth",
        "/internal/v1/companies/1",
        "/internal/v1/users/1/points",
        "/_protected/local/" + LOCAL_KEY,
        "/_protected/s3",
        "/healthz/x",
        "/metrics",
        "/readyz",
    ],
)
def test_unknown_internal_and_protected_paths_are_json_404(
    gateway: Gateway, http: requests.Session, path: str
) -> None:
    assert_json_error(http.get(gateway.url + path), 404, "NOT_FOUND")


def test_internal_post_is_404_too(gateway: Gateway, http: requests.Session) -> None:
    resp = http.post(f"{gateway.url}/internal/v1/users/1/points", json={"amount": 10})
    assert_json_error(resp, 404, "NOT_FOUND")


def test_healthz_and_docs_hub(gateway: Gateway, http: requests.Session) -> None:
    health = http.get(f"{gateway.url}/healthz")
    assert health.status_code == 200
    assert health.json() == {"status": "ok"}
    assert health.headers["X-Request-ID"]
    hub = http.get(f"{gateway.url}/docs")
    assert hub.status_code == 200
    assert hub.headers["Content-Type"].startswith("text/html")
    for slug in ("company", "user", "video"):
        assert f'href="/docs/{slug}"' in hub.text
    slash = http.get(f"{gateway.url}/docs/", allow_redirects=False)
    assert slash.status_code == 301
    assert slash.headers["Location"].endswith("/docs")


# ----------------------------------------------------------------------------- request ids
def test_request_id_kept_when_sane(gateway: Gateway, http: requests.Session) -> None:
    for rid in ("trace-42.abc", "a", "A:b_c-d.e", "x" * 128):
        resp = http.get(f"{gateway.url}/api/v1/users/me", headers={"X-Request-ID": rid})
        assert resp.headers["X-Request-ID"] == rid
        assert resp.json()["headers"]["x-request-id"] == rid
        # exactly one X-Request-ID although the upstream sent its own
        assert resp.raw.headers.getlist("X-Request-ID") == [rid]


def test_request_id_replaced_when_missing_or_insane(
    gateway: Gateway, http: requests.Session
) -> None:
    for rid in (None, "", "bad id <script>", "x" * 129, 'q"uote', "a/b"):
        headers = {} if rid is None else {"X-Request-ID": rid}
        resp = http.get(f"{gateway.url}/api/v1/users/me", headers=headers)
        got = resp.headers["X-Request-ID"]
        assert HEX32.match(got), got
        assert resp.json()["headers"]["x-request-id"] == got


def test_errors_carry_the_clients_request_id(gateway: Gateway, http: requests.Session) -> None:
    resp = http.get(f"{gateway.url}/nope", headers={"X-Request-ID": "trace-43"})
    body = assert_json_error(resp, 404, "NOT_FOUND")
    assert body["request_id"] == "trace-43"


# ----------------------------------------------------------------------------- upstream errors
def test_dead_upstream_is_json_502(dead_gateway: Gateway, http: requests.Session) -> None:
    for path in ("/api/v1/companies", "/api/v1/users/me", "/api/v1/videos", "/docs/user"):
        resp = http.get(dead_gateway.url + path, headers={"X-Request-ID": "dead-1"})
        body = assert_json_error(resp, 502, "SERVICE_UNAVAILABLE")
        assert body["request_id"] == "dead-1"
    upload = http.post(f"{dead_gateway.url}/api/v1/videos", data=b"x" * 1000)
    assert_json_error(upload, 502, "SERVICE_UNAVAILABLE")


def test_services_own_errors_pass_through(gateway: Gateway, http: requests.Session) -> None:
    resp = http.get(f"{gateway.url}/api/v1/companies/own-error")
    assert resp.status_code == 503
    assert resp.json() == {"code": "SERVICE_UNAVAILABLE", "message": "from the service"}


def test_internal_listener_routes_service_calls(gateway: Gateway, http: requests.Session) -> None:
    for path, service in (
        ("/internal/v1/companies/3", "company"),
        ("/internal/v1/users/3/points", "user"),
        ("/api/v1/auth/jwks.json", "user"),
    ):
        resp = http.get(gateway.internal_url + path, headers={"Authorization": "Bearer t"})
        assert resp.json()["service"] == service
        assert resp.json()["headers"]["authorization"] == "Bearer t"
    assert_json_error(http.get(f"{gateway.internal_url}/nope"), 404, "NOT_FOUND")
