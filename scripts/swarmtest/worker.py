"""The video-worker under a SIGKILL: the task running a transcode is killed mid-way, the job
goes back to the queue once its heartbeat stops, another worker runs it again, and the
video ends `ready` with one set of renditions that plays through the gateway."""

from __future__ import annotations

import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

import requests

from swarmtest import docker
from swarmtest.api import BASE_URL, ApiError, Tenant, expect
from swarmtest.load import Tally

# Long enough that the transcode is still running when the kill arrives.
CLIP_SECONDS = 60


def make_clip(folder: Path) -> Path:
    """A test pattern with a tone, made by the host's ffmpeg (the smoke scripts need it too)."""
    clip = folder / f"worker-{CLIP_SECONDS}s.mp4"
    subprocess.run(
        ["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", "testsrc2=size=320x240:rate=25",
         "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=44100", "-t", str(CLIP_SECONDS),
         "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-c:a", "aac",
         "-shortest", "-movflags", "+faststart", str(clip)],
        check=True, timeout=180,
    )  # fmt: skip
    return clip


def wait_for(what: str, timeout: float, probe: Any) -> Any:
    deadline = time.monotonic() + timeout
    while not (value := probe()):
        if time.monotonic() > deadline:
            raise ApiError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(0.5)
    return value


def hls_job(tenant: Tenant, video_id: str) -> dict[str, Any] | None:
    response = requests.get(
        f"{BASE_URL}/api/v1/videos/{video_id}/jobs", headers=tenant.auth(), timeout=15
    )
    jobs: list[dict[str, Any]] = list(expect(response, 200)["items"])  # type: ignore[call-overload]
    found = [job for job in jobs if job["type"] == "hls"]
    return found[0] if found else None


def running_ffmpeg(name: str) -> str | None:
    """The container of the service's task whose ffmpeg is running, if one is."""
    for container in docker.healthy_containers(name):
        if "ffmpeg" in docker.docker("top", container, "-eo", "pid,args"):
            return container
    return None


def kill_mid_transcode(tenant: Tenant) -> tuple[bool, Tally | None, str]:
    name = docker.service("video-worker")
    tenant.login()
    with tempfile.TemporaryDirectory() as folder:
        data = make_clip(Path(folder)).read_bytes()
    response = requests.post(
        f"{BASE_URL}/api/v1/videos",
        headers=tenant.auth(),
        files={"file": ("worker.mp4", data, "video/mp4")},
        data={"title": "killed worker"},
        timeout=60,
    )
    video_id = str(expect(response, 201)["id"])

    def running() -> dict[str, Any] | None:
        job = hls_job(tenant, video_id)
        return job if job and job["status"] == "running" and job["progress"] > 0 else None

    wait_for("the transcode to run", 240, running)
    victim = wait_for("the transcode's ffmpeg", 30, lambda: running_ffmpeg(name))
    docker.docker("kill", victim)
    killed_at = time.monotonic()
    replaced = docker.wait_replaced(name, victim)

    def settled() -> dict[str, Any] | None:
        video = expect(
            requests.get(f"{BASE_URL}/api/v1/videos/{video_id}", headers=tenant.auth(), timeout=15),
            200,
        )
        return video if video["status"] in ("ready", "failed") else None

    video = wait_for("the video to settle", 300, settled)
    finished = time.monotonic() - killed_at
    job = hls_job(tenant, video_id) or {}
    playback = expect(
        requests.post(
            f"{BASE_URL}/api/v1/videos/{video_id}/playback", headers=tenant.auth(), timeout=15
        ),
        200,
    )
    master = requests.get(f"{BASE_URL}{playback['hls_url']}", timeout=15)
    plays = master.status_code == 200 and master.text.startswith("#EXTM3U")
    ok = (
        video["status"] == "ready"
        and job.get("status") == "succeeded"
        and int(job.get("attempts", 0)) >= 2
        and plays
    )
    return (
        ok,
        None,
        f"video {video['status']} {finished:.1f} s after the kill, hls job "
        f"{job.get('status')} in {job.get('attempts')} attempts, master playlist "
        f"{master.status_code}; the killed task replaced in {replaced:.1f} s",
    )
