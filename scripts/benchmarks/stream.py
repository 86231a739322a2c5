"""Streaming throughput: gateway (auth + X-Accel-Redirect) vs static nginx vs FileResponse.

A >= 256 MB MP4 (the fixture's `ftyp`/`moov` boxes followed by one big `mdat` box) is
uploaded through the API; every server then sends that same stored file. Throughput is
measured with curl writing to /dev/null, so the client costs as little as possible.
"""

from __future__ import annotations

import os
import subprocess
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import psycopg2

from benchmarks.api import Tenant, new_tenant
from benchmarks.report import median, say, table
from benchmarks.servers import file_response_app, static_nginx
from benchmarks.stack import REPO_ROOT, StackInfo

MB = 1024 * 1024
FIXTURE = REPO_ROOT / "video-service" / "tests" / "fixtures" / "tiny.mp4"
CURL_FORMAT = "%{http_code} %{size_download} %{time_total}\n"


@dataclass(frozen=True)
class Target:
    name: str
    url: str
    headers: tuple[str, ...] = ()


@dataclass(frozen=True)
class Throughput:
    single_mb_s: float
    concurrent_mb_s: float


def make_big_mp4(path: Path, size_mb: int) -> int:
    """The fixture's boxes, then an `mdat` box of filler up to `size_mb` MiB."""
    head = FIXTURE.read_bytes() if FIXTURE.exists() else _minimal_ftyp()
    filler_size = size_mb * MB - len(head) - 8
    block = os.urandom(MB)
    with path.open("wb") as out:
        out.write(head)
        out.write((filler_size + 8).to_bytes(4, "big") + b"mdat")
        remaining = filler_size
        while remaining > 0:
            out.write(block[: min(MB, remaining)])
            remaining -= MB
    return path.stat().st_size


def _minimal_ftyp() -> bytes:
    return (24).to_bytes(4, "big") + b"ftypisom" + (512).to_bytes(4, "big") + b"isommp41"


def _run_curls(target: Target, clients: int, repeats: int, expected_size: int) -> float:
    """`clients` curl processes at once, each fetching the URL `repeats` times; MB/s total."""
    command = ["curl", "-s", "--http1.1", "-w", CURL_FORMAT]
    for header in target.headers:
        command += ["-H", header]
    for _ in range(repeats):
        command += ["-o", "/dev/null", target.url]
    started = time.perf_counter()
    processes = [
        subprocess.Popen(command, stdout=subprocess.PIPE, text=True) for _ in range(clients)
    ]
    outputs = [process.communicate()[0] for process in processes]
    elapsed = time.perf_counter() - started
    total = 0
    for output in outputs:
        for line in output.splitlines():
            status, size, _seconds = line.split()
            if status not in ("200", "206") or int(size) != expected_size:
                raise RuntimeError(
                    f"{target.name}: HTTP {status}, {size} bytes (expected {expected_size})"
                )
            total += int(size)
    if total != clients * repeats * expected_size:
        raise RuntimeError(f"{target.name}: some transfers did not complete")
    return total / MB / elapsed


def measure_throughput(target: Target, size: int, runs: int) -> Throughput:
    _run_curls(target, 1, 1, size)  # warm the page cache and the connection pools
    single = median([_run_curls(target, 1, 1, size) for _ in range(runs)])
    concurrent = median([_run_curls(target, 4, 2, size) for _ in range(max(1, runs // 2))])
    return Throughput(single, concurrent)


def requests_per_second(target: Target, clients: int, per_client: int, status: str) -> float:
    """Keep-alive small requests: `clients` curl processes, each reusing one connection."""
    with tempfile.NamedTemporaryFile("w", suffix=".curlrc", delete=False) as config:
        for _ in range(per_client):
            config.write(f'url = "{target.url}"\noutput = "/dev/null"\n')
    command = ["curl", "-s", "--http1.1", "-w", "%{http_code}\n", "-K", config.name]
    for header in target.headers:
        command += ["-H", header]
    try:
        started = time.perf_counter()
        processes = [
            subprocess.Popen(command, stdout=subprocess.PIPE, text=True) for _ in range(clients)
        ]
        outputs = [process.communicate()[0] for process in processes]
        elapsed = time.perf_counter() - started
    finally:
        os.unlink(config.name)
    codes = [code for output in outputs for code in output.split()]
    bad = [code for code in codes if code != status]
    if bad or len(codes) != clients * per_client:
        raise RuntimeError(f"{target.name}: {len(bad)} answers other than {status}: {bad[:5]}")
    return len(codes) / elapsed


def stored_path(stack: StackInfo, video_id: int) -> Path:
    with psycopg2.connect(stack.media_dsn) as conn, conn.cursor() as cur:
        cur.execute("SELECT storage_key FROM video.videos WHERE id = %s", (video_id,))
        row = cur.fetchone()
    conn.close()
    if row is None:
        raise RuntimeError(f"video {video_id} not found in video.videos")
    return stack.storage_dir / str(row[0])


def _upload_big_video(tenant: Tenant, size_mb: int) -> tuple[int, int]:
    with tempfile.TemporaryDirectory(prefix="bench-video-") as folder:
        source = Path(folder) / "bench.mp4"
        size = make_big_mp4(source, size_mb)
        started = time.perf_counter()
        video = tenant.upload(source, f"bench {size_mb} MiB")
        seconds = time.perf_counter() - started
    say(f"uploaded video {video['id']}: {size / MB:.0f} MiB in {seconds:.1f} s "
        f"({size / MB / seconds:.0f} MB/s through the gateway)")  # fmt: skip
    if int(video["size_bytes"]) != size:
        raise RuntimeError(f"stored size {video['size_bytes']} != uploaded {size}")
    return int(video["id"]), size


def run_stream(stack: StackInfo, size_mb: int, runs: int, rps_requests: int) -> None:
    if stack.storage_backend != "local":
        raise SystemExit("bench stream: needs STORAGE_BACKEND=local (it reads the stored file)")
    say(f"== stream: {size_mb} MiB file, median of {runs} runs (1 client) / "
        f"{max(1, runs // 2)} runs (4 clients x 2 downloads); MB = MiB")  # fmt: skip
    tenant = new_tenant(stack.gateway_url)
    video_id, size = _upload_big_video(tenant, size_mb)
    path = stored_path(stack, video_id)
    if not path.exists() or path.stat().st_size != size:
        raise RuntimeError(f"stored file {path} missing or of another size")
    auth = (f"Authorization: Bearer {tenant.access_token}",)
    gateway_stream = f"{stack.gateway_url}/api/v1/videos/{video_id}/stream"
    relative = path.relative_to(stack.storage_dir).as_posix()

    results: dict[str, Throughput] = {}
    results["gateway (auth + X-Accel-Redirect)"] = measure_throughput(
        Target("gateway", gateway_stream, auth), size, runs
    )
    with static_nginx(stack.storage_dir) as static_url:
        results["nginx static (sendfile)"] = measure_throughput(
            Target("static", f"{static_url}/files/{relative}"), size, runs
        )
    with file_response_app(path) as app_url:
        results["FastAPI FileResponse (uvicorn)"] = measure_throughput(
            Target("fileresponse", f"{app_url}/file"), size, runs
        )
    rows = [
        [name, f"{r.single_mb_s:,.0f}", f"{r.concurrent_mb_s:,.0f}"] for name, r in results.items()
    ]
    table(["server", "1 client MB/s", "4 clients MB/s (total)"], rows)

    gateway, static, naive = results.values()
    _ratios(
        [
            ("gateway / static nginx", gateway, static, "target >= 0.9x"),
            ("gateway / FileResponse", gateway, naive, "target >= 3x"),
        ]
    )

    clients = 4
    range_rps = requests_per_second(
        Target("range", gateway_stream, (*auth, "Range: bytes=0-1023")),
        clients, rps_requests, "206",
    )  # fmt: skip
    direct_rps = requests_per_second(
        Target(
            "range-direct",
            f"{stack.video_service_url}/api/v1/videos/{video_id}/stream",
            (*auth, "Range: bytes=0-1023"),
        ),
        clients, rps_requests, "206",
    )  # fmt: skip
    health_rps = requests_per_second(
        Target("healthz", f"{stack.video_service_url}/healthz"), clients, rps_requests * 2, "200"
    )
    table(
        ["small requests (4 keep-alive curl clients)", "requests/s"],
        [
            ["gateway: authenticated Range bytes=0-1023 (206)", f"{range_rps:,.0f}"],
            ["video-service direct: same Range, app sends the bytes", f"{direct_rps:,.0f}"],
            ["video-service direct: GET /healthz", f"{health_rps:,.0f}"],
        ],
    )
    say(f"ratio range/healthz: {range_rps / health_rps:.2f}x")
    say()


def _ratios(pairs: Sequence[tuple[str, Throughput, Throughput, str]]) -> None:
    rows = [
        [
            name,
            f"{a.single_mb_s / b.single_mb_s:.2f}x",
            f"{a.concurrent_mb_s / b.concurrent_mb_s:.2f}x",
            target,
        ]
        for name, a, b, target in pairs
    ]
    table(["ratio", "1 client", "4 clients", "target"], rows)
