"""The whole video path on the `s3` backend: a second stack whose objects live in a real
S3-compatible HTTP server (moto's server mode), walked end to end by smoke-video.sh.

nginx fetches the bytes from presigned URLs (X-Accel-Redirect to `/_protected/s3`), so
this proves upload, Range streaming, playback URLs, trash and restore against S3.
"""

from __future__ import annotations

import os
import random
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from minio import Minio

from tests.support.client import Api
from tests.support.media import make_video, playback, wait_settled

ROOT = Path(__file__).resolve().parents[1]
BUCKET = "videos-system-test"


# Two checkouts testing at once on one machine set different offsets.
SERVICE_PORT_OFFSET = int(os.environ.get("TEST_S3_SERVICE_PORT_OFFSET", "14000"))
SERVICE_PORTS = {SERVICE_PORT_OFFSET + base + 1 for base in (8100, 8200, 8300, 8400)}


def _free_port(low: int = 20000, high: int = 32000) -> int:
    """A free loopback port below 32768 (PostgreSQL's limit here), not a service's port."""
    for port in random.sample(range(low, high), 200):
        if port in SERVICE_PORTS:
            continue
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError("no free port")


@pytest.fixture(scope="module")
def s3_server() -> Iterator[str]:
    port = _free_port()
    proc = subprocess.Popen(
        [str(ROOT / ".venv" / "bin" / "moto_server"), "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    endpoint = f"127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            requests.get(f"http://{endpoint}/", timeout=1)
            break
        except requests.RequestException:
            time.sleep(0.2)
    yield endpoint
    proc.terminate()
    proc.wait(timeout=10)


@pytest.fixture(scope="module")
def s3_stack(s3_server: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    stack_dir = tmp_path_factory.mktemp("s3stack") / "stack"
    gateway_port = _free_port()
    env = {
        **os.environ,
        "STACK_DIR": str(stack_dir),
        "GATEWAY_PORT": str(gateway_port),
        "INTERNAL_PORT": str(_free_port()),
        "PG_PORT": str(_free_port()),
        "SERVICE_PORT_OFFSET": str(SERVICE_PORT_OFFSET),
        "REPLICAS": "1",
        "STORAGE_BACKEND": "s3",
        "S3_ENDPOINT": s3_server,
        "S3_ACCESS_KEY": "test",
        "S3_SECRET_KEY": "test",
        "S3_BUCKET": BUCKET,
        "AUTH_RATE_LIMIT_PER_MIN": "100000",
    }
    stack = str(ROOT / "scripts" / "stack")
    try:
        subprocess.run([stack, "up"], env=env, check=True, cwd=ROOT, capture_output=True)
        yield f"http://127.0.0.1:{gateway_port}"
    finally:
        subprocess.run([stack, "reset"], env=env, cwd=ROOT, capture_output=True)


def test_video_path_end_to_end_on_s3(s3_stack: str, s3_server: str) -> None:
    result = subprocess.run(
        ["bash", str(ROOT / "scripts" / "smoke-video.sh")],
        env={**os.environ, "BASE_URL": s3_stack},
        capture_output=True,
        text=True,
        timeout=300,
        cwd=ROOT,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "restore" in result.stdout
    # The bytes really live in the S3 server, under server-chosen keys.
    client = Minio(s3_server, access_key="test", secret_key="test", secure=False)
    keys = [obj.object_name for obj in client.list_objects(BUCKET, recursive=True)]
    assert keys, "nothing stored in the bucket"
    assert all(key.startswith(("videos/", "media/")) for key in keys), keys


def test_media_pipeline_on_s3(s3_stack: str, s3_server: str, tmp_path: Path) -> None:
    """Probe, poster and HLS read the original from S3 and write their outputs there;
    nginx serves playlists (token added) and segments from presigned URLs."""
    api = Api(s3_stack)
    _, admin = api.company_with_admin()
    video = api.upload(admin, make_video(tmp_path, seconds=3))
    assert wait_settled(api, admin, video["id"])["status"] == "ready"
    links = playback(api, admin, video["id"])
    poster = requests.get(f"{s3_stack}{links['thumbnail_url']}", timeout=10)
    assert poster.status_code == 200 and poster.content[:2] == b"\xff\xd8"
    master = f"{s3_stack}{links['hls_url']}"
    played = subprocess.run(
        ["ffmpeg", "-v", "error", "-i", master, "-f", "null", "-"],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert played.returncode == 0, played.stderr
    client = Minio(s3_server, access_key="test", secret_key="test", secure=False)
    prefix = f"media/{video['id']}/hls/"
    keys = [o.object_name or "" for o in client.list_objects(BUCKET, prefix, recursive=True)]
    assert any(k.endswith("/master.m3u8") for k in keys), keys
    assert len({k.removeprefix(prefix).split("/")[0] for k in keys}) == 1  # one set
