"""Requests nginx itself refuses, sent over raw sockets to real nginx: every refusal is the
contract's JSON error with the request id of its X-Request-ID header."""

from __future__ import annotations

import re

import pytest

from tests.gateway.assertions import assert_raw_json_error
from tests.gateway.conftest import Gateway
from tests.gateway.rawhttp import exchange, request, send_raw

HEX32 = re.compile(r"^[0-9a-f]{32}$")


@pytest.mark.parametrize(
    "target",
    [
        b"/api/v1/users/%00",
        b"/api/v1/videos/1/%00/stream",
        b"/api/v1/users/%zz",
        b"/api/v1/users/%4",
        b"/api/v1/companies/%",
        b"/a\x01b",
        b"/../etc/passwd",
        b"/api/../../x",
        b"api/v1/users",
    ],
)
def test_malformed_uri_is_json_400(gateway: Gateway, target: bytes) -> None:
    resp = request(gateway.url, target)
    body = assert_raw_json_error(resp, 400, "BAD_REQUEST")
    assert HEX32.match(str(body["request_id"]))


@pytest.mark.parametrize(
    "line",
    [
        b"GARBAGE",
        b"GET / HTTP/1.1 extra",
        b"G@T / HTTP/1.1",
        b"GET  HTTP/1.1",
        b"GET / HTTP/x.y",
        b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03",  # a TLS ClientHello on the plain port
    ],
)
def test_malformed_request_line_is_json_400(gateway: Gateway, line: bytes) -> None:
    resp = send_raw(gateway.url, line + b"\r\nHost: gateway.test\r\nConnection: close\r\n\r\n")
    assert_raw_json_error(resp, 400, "BAD_REQUEST")


@pytest.mark.parametrize(
    "headers",
    [
        [(b"Bad Header", b"x")],
        [(b"Content-Length", b"abc")],
        [(b"Content-Length", b"3"), (b"Transfer-Encoding", b"chunked")],
    ],
)
def test_malformed_headers_are_json_400(
    gateway: Gateway, headers: list[tuple[bytes, bytes]]
) -> None:
    resp = request(
        gateway.url, b"/api/v1/users", method=b"POST", headers=headers, body=b"0\r\n\r\n"
    )
    assert_raw_json_error(resp, 400, "BAD_REQUEST")


def test_missing_or_bad_host_is_json_400(gateway: Gateway) -> None:
    for raw in (
        b"GET /api/v1/users HTTP/1.1\r\nConnection: close\r\n\r\n",
        b"GET /api/v1/users HTTP/1.1\r\nHost: a b\r\nConnection: close\r\n\r\n",
        b"GET /api/v1/users HTTP/1.1\r\nHost: a\r\nHost: b\r\nConnection: close\r\n\r\n",
    ):
        assert_raw_json_error(send_raw(gateway.url, raw), 400, "BAD_REQUEST")


def test_bad_chunked_body_is_json_400(gateway: Gateway) -> None:
    resp = request(
        gateway.url,
        b"/api/v1/users",
        method=b"POST",
        headers=[(b"Transfer-Encoding", b"chunked")],
        body=b"zz\r\nabc\r\n0\r\n\r\n",
    )
    assert_raw_json_error(resp, 400, "BAD_REQUEST")


def test_unknown_transfer_coding_is_json_501(gateway: Gateway) -> None:
    resp = request(
        gateway.url, b"/api/v1/users", method=b"POST", headers=[(b"Transfer-Encoding", b"gzip")]
    )
    assert_raw_json_error(resp, 501, "NOT_IMPLEMENTED")


def test_uri_too_long_is_json_414(gateway: Gateway) -> None:
    fits = request(gateway.url, b"/api/v1/users?q=" + b"a" * 15_000)
    assert fits.status == 200, fits.status_line
    resp = request(gateway.url, b"/api/v1/users?q=" + b"a" * 17_000)
    assert_raw_json_error(resp, 414, "URI_TOO_LONG")


def test_headers_up_to_the_contract_limits_pass(gateway: Gateway) -> None:
    one = request(gateway.url, b"/api/v1/users", headers=[(b"X-Big", b"a" * 15_000)])
    assert one.status == 200, one.status_line
    assert one.json()["headers"]["x-big"] == "a" * 15_000
    two = [(b"X-Big-1", b"a" * 15_000), (b"X-Big-2", b"b" * 15_000)]
    assert request(gateway.url, b"/api/v1/users", headers=two).status == 200


@pytest.mark.parametrize(
    "headers",
    [
        [(b"X-Big", b"a" * 17_000)],  # one header over 16 KB
        [(b"Cookie", b"c=" + b"a" * 17_000)],
        [(b"X-Big-%d" % i, b"a" * 11_000) for i in range(3)],  # 33 KB in all
        [(b"X-Many-%d" % i, b"m" * 1000) for i in range(34)],
    ],
)
def test_headers_too_large_are_json_431(
    gateway: Gateway, headers: list[tuple[bytes, bytes]]
) -> None:
    resp = request(gateway.url, b"/api/v1/users", headers=[(b"X-Request-ID", b"big-1"), *headers])
    body = assert_raw_json_error(resp, 431, "HEADERS_TOO_LARGE")
    assert body["request_id"] == "big-1"  # read before the header that did not fit


@pytest.mark.parametrize("version", [b"HTTP/2.0", b"HTTP/3.0", b"HTTP/9.9"])
def test_unsupported_http_version_is_json_505(gateway: Gateway, version: bytes) -> None:
    resp = request(gateway.url, b"/api/v1/users", version=version)
    assert_raw_json_error(resp, 505, "HTTP_VERSION_NOT_SUPPORTED")


def test_http_0_9_gets_a_json_body(gateway: Gateway) -> None:
    resp = send_raw(gateway.url, b"GET /nope\r\n")
    assert resp.status is None  # HTTP/0.9 has no status line: the body alone
    assert resp.json()["code"] == "NOT_FOUND"


def test_method_not_allowed_is_json_405(gateway: Gateway) -> None:
    resp = request(gateway.url, b"/", method=b"TRACE")
    assert_raw_json_error(resp, 405, "METHOD_NOT_ALLOWED")


def test_error_pages_are_not_reachable_from_outside(gateway: Gateway) -> None:
    for target in (b"/_error/400", b"/_error/502", b"/_error/", b"/_error/x"):
        assert_raw_json_error(request(gateway.url, target), 404, "NOT_FOUND")


def test_keepalive_continues_after_an_error(gateway: Gateway) -> None:
    """A 404 keeps the connection; the next request on it is answered normally."""
    raw = (
        b"GET /nope HTTP/1.1\r\nHost: g\r\n\r\n"
        b"GET /healthz HTTP/1.1\r\nHost: g\r\nConnection: close\r\n\r\n"
    )
    answer = exchange(gateway.url, raw)
    assert answer.startswith(b"HTTP/1.1 404 ")
    assert answer.count(b"HTTP/1.1 ") == 2
    assert answer.endswith(b'{"status":"ok"}')
