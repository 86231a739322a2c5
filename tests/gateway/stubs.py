"""Throwaway upstreams for the gateway tests: the three services (answers chosen by path,
X-Accel-Redirect included) and a tiny S3 stand-in (ranges, x-amz-* headers, a redirect)."""

from __future__ import annotations

import json
import random
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qs, urlsplit

LOCAL_KEY = "company-7/0f0e0d0c-video"  # no file extension, like server-made keys
VIDEO_BYTES = random.Random(7).randbytes(10_000)
S3_BYTES = random.Random(8).randbytes(20_000)


@dataclass
class Seen:
    """What an upstream received (the tests assert on it)."""

    requests: list[dict[str, Any]] = field(default_factory=list)

    def last(self) -> dict[str, Any]:
        return self.requests[-1]


def _read_body(handler: BaseHTTPRequestHandler) -> bytes:
    if handler.headers.get("Transfer-Encoding", "").lower() == "chunked":
        chunks = []
        while True:
            size = int(handler.rfile.readline().strip().split(b";")[0], 16)
            if size == 0:
                handler.rfile.readline()
                break
            chunks.append(handler.rfile.read(size))
            handler.rfile.readline()
        return b"".join(chunks)
    length = int(handler.headers.get("Content-Length") or 0)
    return handler.rfile.read(length) if length else b""


def service_handler(name: str, seen: Seen, s3_url: Callable[[], str]) -> type:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *_: object) -> None:
            return

        def _answer(self) -> None:
            body = _read_body(self)
            record = {
                "service": name,
                "method": self.command,
                "path": self.path,
                "headers": {k.lower(): v for k, v in self.headers.items()},
                "body_len": len(body),
            }
            seen.requests.append(record)
            path = self.path.split("?")[0]
            extra: dict[str, str] = {"X-Request-ID": "upstream-own-id"}
            status, payload, ctype = 200, json.dumps(record).encode(), "application/json"
            if path == "/api/v1/videos/1/stream":
                extra["X-Accel-Redirect"] = f"/_protected/local/{LOCAL_KEY}"
                ctype, payload = "video/webm", b""
            elif path == "/api/v1/videos/2/stream":
                extra["X-Accel-Redirect"] = "/_protected/s3"
                extra["X-Storage-Url"] = s3_url()
                ctype, payload = "video/mp4", b""
            elif path == "/api/v1/videos/3/stream":
                extra["X-Accel-Redirect"] = "/_protected/local/missing-key"
                payload = b""
            elif path == "/api/v1/videos/4/stream":
                extra["X-Accel-Redirect"] = "/_protected/s3"
                extra["X-Storage-Url"] = s3_url().replace("/obj?", "/gone?")
                payload = b""
            elif path == "/api/v1/videos/5/stream":
                extra["X-Accel-Redirect"] = f"/_protected/local/{LOCAL_KEY.split('/')[0]}"
                payload = b""
            elif path == "/api/v1/videos/6/stream":
                extra["X-Accel-Redirect"] = "/_protected/s3"
                extra["X-Storage-Url"] = s3_url().replace("/obj?", "/moved?")
                payload = b""
            elif path == "/api/v1/videos/8/stream":  # the store is down
                extra["X-Accel-Redirect"] = "/_protected/s3"
                extra["X-Storage-Url"] = re.sub(r":\d+/", ":9/", s3_url())
                payload = b""
            elif path == "/api/v1/companies/redirect":
                # a redirect built from the Host header, as frameworks do
                target = parse_qs(urlsplit(self.path).query)["to"][0]
                status, payload = 307, b""
                extra["Location"] = target.replace("{host}", self.headers.get("Host", ""))
            elif path == "/api/v1/companies/own-error":
                status = 503
                payload = b'{"code":"SERVICE_UNAVAILABLE","message":"from the service"}'
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(payload)))
            for key, value in extra.items():
                self.send_header(key, value)
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(payload)

        do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = _answer  # noqa: N815

    return Handler


def s3_handler(seen: Seen) -> type:
    """A tiny S3 stand-in: one object at /bucket/obj, Range support, x-amz-* headers."""

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        server_version = "MinIO"
        sys_version = ""

        def log_message(self, *_: object) -> None:
            return

        def _answer(self) -> None:
            seen.requests.append(
                {
                    "method": self.command,
                    "path": self.path,
                    "headers": {k.lower(): v for k, v in self.headers.items()},
                }
            )
            amz = {
                "x-amz-request-id": "REQ123",
                "x-amz-id-2": "ID2",
                "x-amz-version-id": "v1",
                "x-amz-server-side-encryption": "AES256",
                "x-amz-meta-filename": "secret-name.mp4",
                "x-amz-meta-original-name": "secret-name.mp4",
                "x-amz-content-sha256": "UNSIGNED-PAYLOAD",
                "x-amzn-RequestId": "moto-id",
                "Access-Control-Allow-Origin": "*",
                "X-Minio-Deployment-Id": "dep",
                "X-Storage-Url": "leak",
            }
            if self.path.startswith("/bucket/moved?"):
                location = f"http://{self.headers['Host']}/bucket/obj?elsewhere"
                self._send(307, b"", {**amz, "Location": location}, "application/xml")
                return
            if not self.path.startswith("/bucket/obj?"):
                self._send(404, b"<Error><Code>NoSuchKey</Code></Error>", amz, "application/xml")
                return
            size = len(S3_BYTES)
            rng = self.headers.get("Range")
            headers = {**amz, "Accept-Ranges": "bytes", "ETag": '"abc"'}
            if not rng:
                self._send(200, S3_BYTES, headers)
                return
            if "," in rng:  # several ranges: multipart/byteranges, as S3-like stores may
                self._send_multipart(rng, headers)
                return
            match = re.fullmatch(r"bytes=(\d*)-(\d*)", rng.strip())
            if not match:
                self._send(200, S3_BYTES, headers)
                return
            first, last = match.groups()
            if first == "":
                start, end = max(0, size - int(last)), size - 1
            else:
                start = int(first)
                end = min(int(last), size - 1) if last else size - 1
            if start >= size:
                self._send(416, b"", {**headers, "Content-Range": f"bytes */{size}"})
                return
            headers["Content-Range"] = f"bytes {start}-{end}/{size}"
            self._send(206, S3_BYTES[start : end + 1], headers)

        def _send_multipart(self, rng: str, headers: dict[str, str]) -> None:
            size, parts = len(S3_BYTES), []
            for spec in rng.removeprefix("bytes=").split(","):
                first, _, last = spec.strip().partition("-")
                start, end = int(first), min(int(last), size - 1)
                parts.append(
                    b"--SEP\r\nContent-Type: video/mp4\r\n"
                    + f"Content-Range: bytes {start}-{end}/{size}\r\n\r\n".encode()
                    + S3_BYTES[start : end + 1]
                    + b"\r\n"
                )
            body = b"".join(parts) + b"--SEP--\r\n"
            self._send(206, body, headers, "multipart/byteranges; boundary=SEP")

        def _send(
            self, status: int, body: bytes, headers: dict[str, str], ctype: str = "video/mp4"
        ) -> None:
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            for key, value in headers.items():
                self.send_header(key, value)
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body)

        do_GET = do_HEAD = _answer  # noqa: N815

    return Handler
