"""One HTTP POST of a webhook, to an address checked just before connecting.

The host is resolved and checked (webhook_urls) on every attempt, and the connection goes
to that checked address (TLS still verifies the certificate for the URL's host name), so
a DNS answer that changed since registration cannot point a delivery inside the network.
No redirects are followed and the response body is never read. The whole attempt has one
deadline: a watchdog shuts the socket down when it passes, so a receiver that trickles
its answer byte by byte cannot hold a worker longer than the timeout.
"""

from __future__ import annotations

import contextlib
import http.client
import socket
import threading
import time
from dataclasses import dataclass

from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.exceptions import HTTPError

from video_service.webhook_urls import (
    Destination,
    IPAddress,
    UnsafeUrl,
    checked_addresses,
    parse_webhook_url,
)

USER_AGENT = "media-resource-webhooks/1"
_TRANSPORT_ERRORS = (OSError, http.client.HTTPException, HTTPError, ValueError)


@dataclass(frozen=True, slots=True)
class SendResult:
    status_code: int | None
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


class WebhookSender:
    def __init__(self, *, allow_private: bool, timeout_seconds: float = 10.0) -> None:
        self.allow_private = allow_private
        self.timeout = timeout_seconds

    def post(self, url: str, body: bytes, headers: dict[str, str]) -> SendResult:
        deadline = time.monotonic() + self.timeout
        try:
            destination = parse_webhook_url(url)
            addresses = checked_addresses(destination, allow_private=self.allow_private)
        except UnsafeUrl as exc:
            return SendResult(None, f"refused: {exc}")
        last_error = "no address"
        for address in addresses:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return SendResult(None, "timed out")
            connection = _connection(destination, address, remaining)
            try:
                connection.connect()
            except _TRANSPORT_ERRORS as exc:
                connection.close()
                last_error = f"connect to {address} failed: {type(exc).__name__}"
                continue  # the next address of the host, if any
            return _exchange(connection, destination, body, headers, deadline)
        return SendResult(None, last_error)


def _connection(destination: Destination, address: IPAddress, timeout: float) -> HTTPConnection:
    if destination.scheme == "https":
        return HTTPSConnection(
            str(address), destination.port, timeout=timeout, server_hostname=destination.host
        )
    return HTTPConnection(str(address), destination.port, timeout=timeout)


def _exchange(
    connection: HTTPConnection,
    destination: Destination,
    body: bytes,
    headers: dict[str, str],
    deadline: float,
) -> SendResult:
    watchdog = threading.Timer(max(0.0, deadline - time.monotonic()), _cut, (connection,))
    watchdog.daemon = True
    watchdog.start()
    try:
        connection.request(
            "POST",
            destination.target,
            body=body,
            headers={
                **headers,
                "Host": destination.host_header,
                "Content-Type": "application/json",
                "User-Agent": USER_AGENT,
            },
        )
        status = connection.getresponse().status
    except _TRANSPORT_ERRORS as exc:
        timed_out = time.monotonic() >= deadline or isinstance(exc, TimeoutError)
        return SendResult(None, "timed out" if timed_out else f"{type(exc).__name__}: {exc}"[:300])
    finally:
        watchdog.cancel()
        connection.close()
    return SendResult(status)


def _cut(connection: HTTPConnection) -> None:
    sock = connection.sock
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)
