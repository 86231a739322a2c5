"""One HTTP POST of a webhook, to an address checked just before connecting.

The host is resolved and checked (webhook_urls) on every attempt, and the connection goes
to that checked address (TLS still verifies the certificate for the URL's host name), so
a DNS answer that changed since registration cannot point a delivery inside the network.
No redirects are followed and only the status line of the answer is read. The whole
attempt, lookup included, has one deadline (`asyncio.timeout`), so a receiver that
trickles its answer byte by byte cannot hold a delivery longer than the timeout.

HTTP/1.1 is written by hand on purpose: one request per connection (`Connection: close`)
to a pinned address, nothing pooled or reused across receivers that share an address.
"""

from __future__ import annotations

import asyncio
import re
import ssl
from dataclasses import dataclass

from video_service.webhook_urls import (
    Destination,
    IPAddress,
    UnsafeUrl,
    checked_addresses,
    parse_webhook_url,
)

USER_AGENT = "media-resource-webhooks/1"
_TRANSPORT_ERRORS = (OSError, ValueError, asyncio.IncompleteReadError)
_STATUS_LINE = re.compile(rb"^HTTP/1\.[01] ([1-5][0-9]{2})(?: |\r?\n|$)")


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
        self._tls = ssl.create_default_context()

    async def post(self, url: str, body: bytes, headers: dict[str, str]) -> SendResult:
        try:
            async with asyncio.timeout(self.timeout):
                return await self._post(url, body, headers)
        except TimeoutError:
            return SendResult(None, "timed out")

    async def _post(self, url: str, body: bytes, headers: dict[str, str]) -> SendResult:
        try:
            destination = parse_webhook_url(url)
            addresses = await checked_addresses(destination, allow_private=self.allow_private)
        except UnsafeUrl as exc:
            return SendResult(None, f"refused: {exc}")
        last_error = "no address"
        for address in addresses:
            try:
                reader, writer = await self._connect(destination, address)
            except _TRANSPORT_ERRORS as exc:
                last_error = f"connect to {address} failed: {type(exc).__name__}"
                continue  # the next address of the host, if any
            try:
                return await _exchange(reader, writer, destination, body, headers)
            except _TRANSPORT_ERRORS as exc:
                return SendResult(None, f"{type(exc).__name__}: {exc}"[:300])
            finally:
                writer.close()
        return SendResult(None, last_error)

    async def _connect(
        self, destination: Destination, address: IPAddress
    ) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        if destination.scheme == "https":
            return await asyncio.open_connection(
                str(address), destination.port, ssl=self._tls, server_hostname=destination.host
            )
        return await asyncio.open_connection(str(address), destination.port)


async def _exchange(
    reader: asyncio.StreamReader,
    writer: asyncio.StreamWriter,
    destination: Destination,
    body: bytes,
    headers: dict[str, str],
) -> SendResult:
    fields = {
        **headers,
        "Host": destination.host_header,
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        "Content-Length": str(len(body)),
        "Connection": "close",
    }
    head = f"POST {destination.target} HTTP/1.1\r\n" + "".join(
        f"{name}: {value}\r\n" for name, value in fields.items()
    )
    writer.write(head.encode("ascii") + b"\r\n" + body)
    await writer.drain()
    status_line = await reader.readline()
    match = _STATUS_LINE.match(status_line)
    if match is None:
        return SendResult(None, "answered something other than HTTP")
    return SendResult(int(match.group(1)))
