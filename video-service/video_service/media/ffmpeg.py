"""ffprobe and ffmpeg as subprocesses: probing, a poster frame, the HLS ladder.

Only the worker imports this module; the API process never starts ffmpeg.
"""

from __future__ import annotations

import json
import subprocess
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from video_service.media.ladder import Rendition

PROBE_TIMEOUT = 60.0
THUMBNAIL_TIMEOUT = 120.0
STOP_GRACE_SECONDS = 2.0
POSTER_MAX_WIDTH = 1280


class MediaError(Exception):
    """ffmpeg or ffprobe could not do it; `permanent` when retrying cannot help."""

    def __init__(self, code: str, message: str, *, permanent: bool) -> None:
        super().__init__(message)
        self.code = code
        self.permanent = permanent


class Stopped(Exception):
    """The run was stopped on request (the job was canceled)."""


@dataclass(frozen=True)
class Probe:
    duration_ms: int
    width: int
    height: int
    video_codec: str
    audio_codec: str | None


def probe(ffprobe: str, source: str) -> Probe:
    """Duration, dimensions and codecs; a file without a decodable video stream is permanent."""
    cmd = [ffprobe, "-v", "error", "-print_format", "json", "-show_format", "-show_streams", source]
    try:
        done = subprocess.run(cmd, capture_output=True, timeout=PROBE_TIMEOUT, check=False)
    except subprocess.TimeoutExpired as exc:
        raise MediaError("PROBE_TIMEOUT", "ffprobe timed out", permanent=False) from exc
    if done.returncode != 0:
        raise MediaError("UNDECODABLE", _last_line(done.stderr, "ffprobe failed"), permanent=True)
    info = json.loads(done.stdout or b"{}")
    streams = info.get("streams", [])
    video = next((s for s in streams if s.get("codec_type") == "video"), None)
    audio = next((s for s in streams if s.get("codec_type") == "audio"), None)
    if video is None or not video.get("width") or not video.get("height"):
        raise MediaError(
            "NO_VIDEO_STREAM", "the file has no decodable video stream", permanent=True
        )
    seconds = float(info.get("format", {}).get("duration") or video.get("duration") or 0)
    if seconds <= 0:
        raise MediaError("NO_DURATION", "the file has no duration", permanent=True)
    return Probe(
        duration_ms=round(seconds * 1000),
        width=int(video["width"]),
        height=int(video["height"]),
        video_codec=str(video.get("codec_name", "unknown"))[:32],
        audio_codec=str(audio["codec_name"])[:32] if audio and audio.get("codec_name") else None,
    )


def poster(ffmpeg: str, source: str, duration_ms: int, target: Path) -> None:
    """One JPEG frame from early in the video, at most 1280 px wide."""
    at = min(1.0, duration_ms / 2000)
    cmd = [
        ffmpeg, "-v", "error", "-y", "-ss", f"{at:.3f}", "-i", source, "-frames:v", "1",
        "-vf", f"scale='min({POSTER_MAX_WIDTH},iw)':-2", "-q:v", "3", str(target),
    ]  # fmt: skip
    try:
        done = subprocess.run(cmd, capture_output=True, timeout=THUMBNAIL_TIMEOUT, check=False)
    except subprocess.TimeoutExpired as exc:
        raise MediaError("THUMBNAIL_TIMEOUT", "ffmpeg timed out", permanent=False) from exc
    if done.returncode != 0 or not target.exists() or target.stat().st_size == 0:
        raise MediaError("UNDECODABLE", _last_line(done.stderr, "no frame decoded"), permanent=True)


@dataclass(frozen=True)
class HlsOptions:
    preset: str
    threads: int
    segment_seconds: int


def hls_command(
    ffmpeg: str, source: str, ladder: list[Rendition], has_audio: bool, options: HlsOptions
) -> list[str]:
    """One ffmpeg run for the whole ladder: one decode, keyframes forced at the same
    instants in every rendition (aligned segments), fixed-length HLS segments."""
    split = "".join(f"[s{i}]" for i in range(len(ladder)))
    graph = [f"[0:v]split={len(ladder)}{split}"]
    graph += [f"[s{i}]scale={r.width}:{r.height}[v{i}]" for i, r in enumerate(ladder)]
    keyframe_every = options.segment_seconds / 2
    cmd = [ffmpeg, "-v", "error", "-nostats", "-progress", "pipe:1", "-y", "-i", source]
    cmd += ["-filter_complex", ";".join(graph)]
    stream_map = []
    for i, rendition in enumerate(ladder):
        cmd += ["-map", f"[v{i}]"]
        if has_audio:
            cmd += ["-map", "0:a:0"]
        cmd += [
            f"-b:v:{i}", f"{rendition.video_kbps}k",
            f"-maxrate:v:{i}", f"{rendition.video_kbps * 11 // 10}k",
            f"-bufsize:v:{i}", f"{rendition.video_kbps * 2}k",
        ]  # fmt: skip
        stream_map.append(
            f"v:{i},a:{i},name:{rendition.name}" if has_audio else f"v:{i},name:{rendition.name}"
        )
    cmd += [
        "-c:v", "libx264", "-preset", options.preset, "-profile:v", "main", "-pix_fmt", "yuv420p",
        "-threads", str(options.threads),
        "-force_key_frames", f"expr:gte(t,n_forced*{keyframe_every})", "-sc_threshold", "0",
    ]  # fmt: skip
    if has_audio:
        cmd += ["-c:a", "aac", "-b:a", "128k", "-ac", "2", "-ar", "48000"]
    cmd += [
        "-f", "hls", "-hls_time", str(options.segment_seconds), "-hls_playlist_type", "vod",
        "-hls_segment_filename", "%v/seg_%05d.ts", "-master_pl_name", "master.m3u8",
        "-var_stream_map", " ".join(stream_map), "%v/index.m3u8",
    ]  # fmt: skip
    return cmd


def run_with_progress(
    cmd: list[str],
    cwd: Path,
    duration_ms: int,
    on_progress: Callable[[int], bool],
    report_every: float = 1.0,
) -> None:
    """Run ffmpeg with `-progress pipe:1`; `on_progress(percent)` at most every
    `report_every` seconds (and at least that often while ffmpeg runs); when it answers
    False, ffmpeg is stopped and `Stopped` is raised."""
    proc = subprocess.Popen(
        cmd, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL
    )
    state = {"out_us": 0}
    stderr_tail: list[bytes] = []

    def read_progress() -> None:
        assert proc.stdout is not None
        for raw in proc.stdout:
            key, _, value = raw.decode(errors="replace").strip().partition("=")
            if key == "out_time_us" and value.isdigit():
                state["out_us"] = int(value)

    def read_stderr() -> None:
        assert proc.stderr is not None
        for raw in proc.stderr:
            stderr_tail[:] = [*stderr_tail[-19:], raw]

    readers = [threading.Thread(target=fn, daemon=True) for fn in (read_progress, read_stderr)]
    for reader in readers:
        reader.start()
    stopped = False
    while proc.poll() is None:
        try:
            proc.wait(timeout=report_every)
            break
        except subprocess.TimeoutExpired:
            pass
        percent = min(99, int(state["out_us"] / 1000 * 100 / max(duration_ms, 1)))
        if not on_progress(percent):
            stopped = True
            _stop(proc)
            break
    for reader in readers:
        reader.join(timeout=5)
    if stopped:
        raise Stopped()
    if proc.returncode != 0:
        text = b"".join(stderr_tail)
        # Killed by a signal (negative code) is the machine's trouble, not the file's.
        raise MediaError(
            "TRANSCODE_FAILED", _last_line(text, "ffmpeg failed"), permanent=proc.returncode > 0
        )


def _stop(proc: subprocess.Popen[bytes]) -> None:
    proc.terminate()
    deadline = time.monotonic() + STOP_GRACE_SECONDS
    while proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    if proc.poll() is None:
        proc.kill()
        proc.wait()


def _last_line(stderr: bytes, fallback: str) -> str:
    lines = [line.strip() for line in stderr.decode(errors="replace").splitlines() if line.strip()]
    return (lines[-1] if lines else fallback)[:500]
