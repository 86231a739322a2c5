"""A 200 MB upload through a real HTTP server: the process's memory stays flat."""

from __future__ import annotations

import socket
import threading
import time
import tracemalloc
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import requests
import uvicorn
from fastapi import FastAPI
from video_testkit import Tenant, fixture_bytes

from video_service.main import create_app
from video_service.settings import Settings

UPLOAD_MB = 200
BOUNDARY = "memory-test-boundary"


class MultipartBody:
    """A multipart body generated on the fly: a valid MP4 head, then zeros."""

    def __init__(self, file_size: int) -> None:
        self.head = (
            f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="title"\r\n\r\nBig\r\n'
            f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="big.mp4"\r\n'
            "Content-Type: video/mp4\r\n\r\n"
        ).encode() + fixture_bytes("tiny.mp4")
        self.zeros = file_size - len(fixture_bytes("tiny.mp4"))
        self.tail = f"\r\n--{BOUNDARY}--\r\n".encode()
        self.length = len(self.head) + self.zeros + len(self.tail)
        self._parts = self._generate()
        self._pending = b""

    def _generate(self) -> Iterator[bytes]:
        yield self.head
        left = self.zeros
        block = bytes(256 * 1024)
        while left > 0:
            yield block[: min(left, len(block))]
            left -= len(block)
        yield self.tail

    def __len__(self) -> int:
        return self.length

    def read(self, size: int = -1) -> bytes:
        while len(self._pending) < max(size, 1):
            part = next(self._parts, None)
            if part is None:
                break
            self._pending += part
        chunk, self._pending = self._pending[:size], self._pending[size:]
        return chunk


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def live_server(make_settings: Callable[..., Settings]) -> Iterator[tuple[str, FastAPI]]:
    app = create_app(make_settings())
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="error"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert time.monotonic() < deadline
        time.sleep(0.02)
    yield f"http://127.0.0.1:{port}", app
    server.should_exit = True
    thread.join(10)


def _peak_rss_kib() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    raise AssertionError("no VmHWM")


def test_upload_of_200_mb_keeps_memory_flat(
    live_server: tuple[str, FastAPI], tenant: Tenant
) -> None:
    base_url, app = live_server
    body = MultipartBody(UPLOAD_MB * 1024 * 1024)
    Path("/proc/self/clear_refs").write_text("5")  # reset the peak RSS mark
    rss_before = _peak_rss_kib()
    tracemalloc.start()
    try:
        response = requests.post(
            f"{base_url}/api/v1/videos",
            data=body,
            headers={
                **tenant.admin,
                "Content-Type": f"multipart/form-data; boundary={BOUNDARY}",
            },
            timeout=120,
        )
        _, traced_peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    rss_growth_mib = (_peak_rss_kib() - rss_before) / 1024
    assert response.status_code == 201, response.text
    assert response.json()["size_bytes"] == UPLOAD_MB * 1024 * 1024
    assert traced_peak < 32 * 1024 * 1024, f"Python allocations peaked at {traced_peak}"
    assert rss_growth_mib < UPLOAD_MB / 4, f"RSS grew by {rss_growth_mib:.0f} MiB"
    storage = app.state.runtime.storage
    [(key, _)] = [item for item in storage.list_keys(f"videos/{tenant.company_id}/")]
    assert storage.stat(key).size == UPLOAD_MB * 1024 * 1024
