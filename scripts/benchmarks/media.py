"""Media pipeline figures (never asserts):

1. HLS segment download through the gateway (token check + X-Accel-Redirect) vs a bare
   nginx sending the same stored files;
2. transcode speed of the whole ladder for a 1080p30 source, as a multiple of real time,
   for a few x264 presets and thread counts (the worker's own ffmpeg command);
3. latency of small authenticated GETs while two workers transcode vs idle.
"""

from __future__ import annotations

import asyncio
import subprocess
import tempfile
import time
from pathlib import Path

import psycopg2
import requests

from benchmarks.api import Tenant, new_tenant
from benchmarks.report import median, percentile, say, table
from benchmarks.servers import static_nginx
from benchmarks.stack import StackInfo
from video_service.media import ffmpeg
from video_service.media.ladder import ladder_for

CURL_FORMAT = "%{http_code} %{size_download}\n"
PRESETS = (("veryfast", 0), ("veryfast", 1), ("ultrafast", 0))


def make_source(folder: Path, size: str, seconds: int) -> Path:
    target = folder / f"bench-{size}-{seconds}s.mp4"
    subprocess.run(
        ["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", f"testsrc2=size={size}:rate=30",
         "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000", "-t", str(seconds),
         "-c:v", "libx264", "-preset", "ultrafast", "-crf", "18", "-pix_fmt", "yuv420p",
         "-c:a", "aac", "-shortest", str(target)],
        check=True,
    )  # fmt: skip
    return target


def wait_ready(tenant: Tenant, video_id: int, timeout: float = 900) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        video = tenant.session.get(
            f"{tenant.base_url}/api/v1/videos/{video_id}", headers=tenant.auth
        ).json()
        if video["status"] != "processing":
            if video["status"] != "ready":
                raise RuntimeError(f"video {video_id} failed")
            return
        time.sleep(0.5)
    raise RuntimeError(f"video {video_id} not ready after {timeout} s")


def _fetch_all(urls: list[str], clients: int) -> tuple[float, int, int]:
    """`clients` curl processes, each fetching every URL over one keep-alive connection;
    (seconds, bytes, non-200 answers)."""
    started = time.perf_counter()
    procs = [
        subprocess.Popen(
            ["curl", "-s", "-w", CURL_FORMAT, *(a for u in urls for a in ("-o", "/dev/null", u))],
            stdout=subprocess.PIPE,
            text=True,
        )
        for _ in range(clients)
    ]
    outputs = [p.communicate()[0] for p in procs]
    seconds = time.perf_counter() - started
    lines = [line.split() for out in outputs for line in out.splitlines()]
    return seconds, sum(int(size) for _, size in lines), sum(code != "200" for code, _ in lines)


def run_segments(stack: StackInfo, tenant: Tenant, video_id: int, rounds: int) -> None:
    links = tenant.session.post(
        f"{tenant.base_url}/api/v1/videos/{video_id}/playback", headers=tenant.auth
    ).json()
    master_url = f"{tenant.base_url}{links['hls_url']}"
    master = requests.get(master_url, timeout=10).text
    variant = [line for line in master.splitlines() if line and not line.startswith("#")][-1]
    base = master_url.rsplit("/", 1)[0]
    playlist = requests.get(f"{base}/{variant}", timeout=10).text
    rendition = variant.split("/")[0]
    segments = [line for line in playlist.splitlines() if ".ts" in line]
    gateway = [f"{base}/{rendition}/{seg}" for seg in segments] * rounds
    with psycopg2.connect(stack.media_dsn) as conn, conn.cursor() as cur:
        cur.execute("SELECT hls_prefix FROM video.videos WHERE id = %s", (video_id,))
        row = cur.fetchone()
    assert row is not None
    rows = []
    with static_nginx(stack.storage_dir) as bare:
        plain = [f"{bare}/files/{row[0]}/{rendition}/{seg.split('?')[0]}" for seg in segments]
        plain *= rounds
        for clients in (1, 8):
            g_s, g_bytes, g_bad = _fetch_all(gateway, clients)
            b_s, b_bytes, b_bad = _fetch_all(plain, clients)
            count = len(gateway) * clients
            rows.append([
                str(clients), f"{count / g_s:.0f}", f"{g_bytes / g_s / 2**20:.0f}",
                f"{count / b_s:.0f}", f"{b_bytes / b_s / 2**20:.0f}",
                f"{b_s / g_s:.2f}", f"{g_bad + b_bad}",
            ])  # fmt: skip
    size = g_bytes / count / 1024
    say(f"## HLS segments: gateway vs bare nginx ({rendition}, {len(segments)} segments of "
        f"~{size:.0f} KiB, x{rounds} per client, curl keep-alive)")  # fmt: skip
    say()
    table(
        ["clients", "gateway req/s", "gateway MiB/s", "nginx req/s", "nginx MiB/s",
         "gateway/nginx", "non-200"],
        rows,
    )  # fmt: skip


async def _go_on(_: int) -> bool:
    return True


def run_transcode(folder: Path, seconds: int) -> None:
    source = make_source(folder, "1920x1080", seconds)
    ladder = ladder_for(1920, 1080)
    rows = []
    for preset, threads in PRESETS:
        with tempfile.TemporaryDirectory(prefix="bench-hls-") as out:
            for rendition in ladder:
                (Path(out) / rendition.name).mkdir()
            options = ffmpeg.HlsOptions(preset, threads, 4)
            cmd = ffmpeg.hls_command("ffmpeg", str(source), ladder, True, options)
            started = time.perf_counter()
            asyncio.run(ffmpeg.run_with_progress(cmd, Path(out), seconds * 1000, _go_on))
            wall = time.perf_counter() - started
            size = sum(p.stat().st_size for p in Path(out).rglob("*.ts"))
        rows.append([preset, str(threads or "auto"), f"{wall:.1f}", f"{seconds / wall:.2f}x",
                     f"{size / 2**20:.1f}"])  # fmt: skip
    say(f"## Transcode: 1080p30 source ({seconds} s, testsrc2 + tone), ladder "
        f"{'/'.join(r.name for r in ladder)}, one ffmpeg run")  # fmt: skip
    say()
    table(["preset", "threads", "wall s", "x real time", "segments MiB"], rows)


def _latencies(tenant: Tenant, video_id: int, count: int) -> list[float]:
    session = requests.Session()
    url = f"{tenant.base_url}/api/v1/videos/{video_id}"
    values = []
    for _ in range(count):
        started = time.perf_counter()
        response = session.get(url, headers=tenant.auth, timeout=10)
        values.append((time.perf_counter() - started) * 1000)
        if response.status_code != 200:
            raise RuntimeError(f"GET {url}: {response.status_code}")
    return values


def _hls_status(tenant: Tenant, video_id: int) -> tuple[int, str]:
    jobs = tenant.session.get(
        f"{tenant.base_url}/api/v1/videos/{video_id}/jobs", headers=tenant.auth
    ).json()["items"]
    hls = [j for j in jobs if j["type"] == "hls"]
    return (int(hls[0]["id"]), str(hls[0]["status"])) if hls else (0, "not queued yet")


def run_latency(tenant: Tenant, ready_video: int, source: Path, count: int) -> None:
    """Idle, then with two HLS jobs running (a re-transcode and a fresh upload); the busy
    jobs are canceled afterwards."""
    idle = _latencies(tenant, ready_video, count)
    tenant.session.post(
        f"{tenant.base_url}/api/v1/videos/{ready_video}/transcodes", headers=tenant.auth
    )
    second = int(tenant.upload(source, "bench busy")["id"])
    deadline = time.monotonic() + 600
    while time.monotonic() < deadline:
        if all(_hls_status(tenant, v)[1] == "running" for v in (ready_video, second)):
            break
        time.sleep(0.5)
    busy = _latencies(tenant, ready_video, count)
    states = [_hls_status(tenant, v) for v in (ready_video, second)]
    for job_id, _ in [*states, (0, "")]:
        if not job_id:
            continue
        tenant.session.post(f"{tenant.base_url}/api/v1/jobs/{job_id}/cancel", headers=tenant.auth)
    say(f"## API latency: GET /api/v1/videos/{{id}} (Bearer), {count} sequential requests")
    say()
    table(
        ["state", "p50 ms", "p99 ms", "max ms"],
        [
            ["idle", f"{median(idle):.1f}", f"{percentile(idle, 0.99):.1f}", f"{max(idle):.1f}"],
            [f"2 workers transcoding 1080p (jobs at the end: {', '.join(s for _, s in states)})",
             f"{median(busy):.1f}", f"{percentile(busy, 0.99):.1f}", f"{max(busy):.1f}"],
        ],
    )  # fmt: skip


PARTS = ("segments", "latency", "transcode")


def run_media(
    stack: StackInfo, seconds: int, rounds: int, requests_count: int, parts: tuple[str, ...]
) -> None:
    with tempfile.TemporaryDirectory(prefix="bench-media-") as folder:
        source = make_source(Path(folder), "1920x1080", seconds)
        if "segments" in parts or "latency" in parts:
            tenant = new_tenant(stack.gateway_url)
            video_id = int(tenant.upload(source, "bench 1080p")["id"])
            wait_ready(tenant, video_id)
            if "segments" in parts:
                run_segments(stack, tenant, video_id, rounds)
            if "latency" in parts:
                run_latency(tenant, video_id, source, requests_count)
        if "transcode" in parts:
            run_transcode(Path(folder), seconds)
