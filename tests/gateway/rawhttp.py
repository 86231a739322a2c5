"""Raw HTTP/1.x over a socket, for requests no HTTP client library will send (malformed
request lines, bad escapes, oversized headers, unknown versions)."""

from __future__ import annotations

import json
import socket
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit


@dataclass
class RawResponse:
    status_line: str
    status: int | None  # None: an HTTP/0.9 answer (a body without status line or headers)
    headers: dict[str, list[str]]
    body: bytes

    def header(self, name: str) -> str:
        values = self.headers.get(name.lower(), [])
        assert len(values) == 1, (name, values)
        return values[0]

    def json(self) -> Any:
        return json.loads(self.body)


def address(url: str) -> tuple[str, int]:
    parts = urlsplit(url)
    return parts.hostname or "127.0.0.1", int(parts.port or 80)


def send_raw(url: str, data: bytes, timeout: float = 10.0) -> RawResponse:
    """Send `data` as is, read until nginx closes the connection (every request here says
    `Connection: close` or is one nginx closes after answering), and parse the answer."""
    return parse(exchange(url, data, timeout))


def exchange(url: str, data: bytes, timeout: float = 10.0) -> bytes:
    """Every byte nginx answers to `data`, until it closes the connection."""
    with socket.create_connection(address(url), timeout=timeout) as sock:
        sock.sendall(data)
        chunks = []
        while True:
            chunk = sock.recv(65536)
            if not chunk:
                break
            chunks.append(chunk)
    return b"".join(chunks)


def parse(raw: bytes) -> RawResponse:
    if not raw.startswith(b"HTTP/"):
        return RawResponse("", None, {}, raw)
    head, _, body = raw.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers: dict[str, list[str]] = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers.setdefault(name.strip().lower(), []).append(value.strip())
    if "content-length" in headers:
        body = body[: int(headers["content-length"][0])]
    return RawResponse(lines[0], int(lines[0].split(" ")[1]), headers, body)


def request(
    url: str,
    target: bytes,
    *,
    method: bytes = b"GET",
    version: bytes = b"HTTP/1.1",
    headers: list[tuple[bytes, bytes]] | None = None,
    body: bytes = b"",
) -> RawResponse:
    lines = [method + b" " + target + b" " + version, b"Host: gateway.test"]
    lines += [name + b": " + value for name, value in headers or []]
    lines.append(b"Connection: close")
    return send_raw(url, b"\r\n".join(lines) + b"\r\n\r\n" + body)
