"""The gateway's limits, checked on real nginx: body sizes and the rate limits per client
address (login/token/refresh; company creation and sign-up)."""

from __future__ import annotations

from collections.abc import Callable

import requests

from tests.gateway.assertions import assert_json_error
from tests.gateway.conftest import Gateway, Upstreams


def test_body_over_the_limit_is_json_413(gateway: Gateway, http: requests.Session) -> None:
    big = b"x" * (1024 * 1024 + 1)  # MAX_UPLOAD_MB=1 in this gateway
    resp = http.post(f"{gateway.url}/api/v1/companies", data=big, headers={"X-Request-ID": "r413"})
    body = assert_json_error(resp, 413, "PAYLOAD_TOO_LARGE")
    assert body["request_id"] == "r413"


def test_upload_streams_up_to_its_own_limit(
    gateway: Gateway, http: requests.Session, upstreams: Upstreams
) -> None:
    body = b"v" * (1536 * 1024)  # over MAX_UPLOAD_MB, under the upload location's +1 MB
    resp = http.post(f"{gateway.url}/api/v1/videos", data=body)
    assert resp.status_code == 200
    assert resp.json()["body_len"] == len(body)
    chunked = http.post(f"{gateway.url}/api/v1/videos", data=iter([body[:1000], body[1000:]]))
    assert chunked.status_code == 200
    assert chunked.json()["body_len"] == len(body)
    too_big = http.post(f"{gateway.url}/api/v1/videos", data=b"v" * (2 * 1024 * 1024 + 1))
    assert_json_error(too_big, 413, "PAYLOAD_TOO_LARGE")


def test_auth_endpoints_are_rate_limited_per_address(
    start_gateway: Callable[..., Gateway], upstreams: Upstreams
) -> None:
    gw = start_gateway(upstreams.ports, AUTH_RATE_LIMIT_PER_MIN="60", AUTH_RATE_LIMIT_BURST="3")
    with requests.Session() as http:
        statuses = [http.post(f"{gw.url}/api/v1/auth/login", json={}).status_code for _ in range(8)]
        assert statuses.count(200) >= 1
        assert 429 in statuses, statuses
        # login, token and refresh share one budget per address
        for path in ("/api/v1/auth/token", "/api/v1/auth/refresh"):
            assert http.post(gw.url + path, data={"a": "b"}).status_code == 429, path
        limited = http.post(f"{gw.url}/api/v1/auth/login", json={}, headers={"X-Request-ID": "rl"})
        body = assert_json_error(limited, 429, "RATE_LIMITED")
        assert body["request_id"] == "rl"
        assert limited.headers["Retry-After"] == "1"
        # other auth calls are not limited
        for _ in range(10):
            assert http.get(f"{gw.url}/api/v1/auth/jwks.json").status_code == 200
    # the limit is per client address: another loopback address still gets through
    with requests.Session() as other:
        other.mount("http://", SourceAddressAdapter("127.0.0.2"))
        assert other.post(f"{gw.url}/api/v1/auth/login", json={}).status_code == 200


def test_company_creation_and_signup_are_rate_limited_per_address(
    start_gateway: Callable[..., Gateway], upstreams: Upstreams
) -> None:
    gw = start_gateway(
        upstreams.ports,
        AUTH_RATE_LIMIT_PER_MIN="10",
        AUTH_RATE_LIMIT_BURST="2",
        RATE_LIMIT_RETRY_AFTER="6",
    )
    with requests.Session() as http:
        statuses = [http.post(f"{gw.url}/api/v1/companies", json={}).status_code for _ in range(5)]
        assert statuses[:3] == [200, 200, 200], statuses  # the first one and a burst of 2
        assert statuses[3:] == [429, 429], statuses
        # company creation and sign-up share one budget; spellings nginx normalises, and a
        # query string, do not get around it
        for path in (
            "/api/v1/users",
            "/api/v1/companies?x=1",
            "//api/v1/companies",
            "/api/v1/./users",
            "/api/v1/users?token=t",
        ):
            limited = http.post(gw.url + path, json={}, headers={"X-Request-ID": "rl-2"})
            body = assert_json_error(limited, 429, "RATE_LIMITED")
            assert body["request_id"] == "rl-2"
            assert limited.headers["Retry-After"] == "6", path
        # only those two POSTs count: reads, other methods and logins go on
        for method, path in (
            ("GET", "/api/v1/users"),
            ("GET", "/api/v1/companies/1"),
            ("PATCH", "/api/v1/companies/1"),
            ("DELETE", "/api/v1/users/5"),
            ("POST", "/api/v1/users/5/role"),
            ("POST", "/api/v1/auth/login"),
        ):
            assert http.request(method, gw.url + path, json={}).status_code == 200, path
    with requests.Session() as other:
        other.mount("http://", SourceAddressAdapter("127.0.0.3"))
        assert other.post(f"{gw.url}/api/v1/companies", json={}).status_code == 200
        assert other.post(f"{gw.url}/api/v1/users", json={}).status_code == 200


def test_login_budget_is_not_spent_by_signups(
    start_gateway: Callable[..., Gateway], upstreams: Upstreams
) -> None:
    gw = start_gateway(upstreams.ports, AUTH_RATE_LIMIT_PER_MIN="60", AUTH_RATE_LIMIT_BURST="1")
    with requests.Session() as http:
        for _ in range(2):
            http.post(f"{gw.url}/api/v1/auth/login", json={})
        assert http.post(f"{gw.url}/api/v1/auth/login", json={}).status_code == 429
        assert http.post(f"{gw.url}/api/v1/companies", json={}).status_code == 200


class SourceAddressAdapter(requests.adapters.HTTPAdapter):
    def __init__(self, address: str) -> None:
        self.address = address
        super().__init__()

    def init_poolmanager(self, *args: object, **kwargs: object) -> None:
        kwargs["source_address"] = (self.address, 0)
        super().init_poolmanager(*args, **kwargs)  # type: ignore[arg-type]
