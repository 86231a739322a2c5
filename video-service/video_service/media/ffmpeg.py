"""ffprobe and ffmpeg as subprocesses: probing, a poster frame, the HLS ladder.

Only the worker imports this module; the API process never starts ffmpeg. The programs
run as asyncio subprocesses: the worker's event loop waits on their pipes, never blocks
on them, and a run that is cancelled or stopped kills its process.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from asyncio.subprocess import DEVNULL, PIPE, Process
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

from video_service.media.ladder import Rendition

PROBE_TIMEOUT = 60.0
THUMBNAIL_TIMEOUT = 120.0
STOP_GRACE_SECONDS = 2.0
STDERR_TAIL_BYTES = 4096
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


async def _run(cmd: list[str], timeout: float, timeout_code: str) -> tuple[int, bytes, bytes]:
    """Run to the end: (exit code, stdout, stderr); MediaError (transient) on timeout."""
    proc = await asyncio.create_subprocess_exec(*cmd, stdin=DEVNULL, stdout=PIPE, stderr=PIPE)
    try:
        async with asyncio.timeout(timeout):
            out, err = await proc.communicate()
    except TimeoutError as exc:
        raise MediaError(timeout_code, f"{Path(cmd[0]).name} timed out", permanent=False) from exc
    finally:
        await _kill(proc)
    return proc.returncode or 0, out, err


async def probe(ffprobe: str, source: str) -> Probe:
    """Duration, dimensions and codecs; a file without a decodable video stream is permanent."""
    cmd = [ffprobe, "-v", "error", "-print_format", "json", "-show_format", "-show_streams", source]
    code, out, err = await _run(cmd, PROBE_TIMEOUT, "PROBE_TIMEOUT")
    if code != 0:
        raise MediaError("UNDECODABLE", _last_line(err, "ffprobe failed"), permanent=True)
    info = json.loads(out or b"{}")
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


async def poster(ffmpeg: str, source: str, duration_ms: int, target: Path) -> None:
    """One JPEG frame from early in the video, at most 1280 px wide."""
    at = min(1.0, duration_ms / 2000)
    cmd = [
        ffmpeg, "-v", "error", "-y", "-ss", f"{at:.3f}", "-i", source, "-frames:v", "1",
        "-vf", f"scale='min({POSTER_MAX_WIDTH},iw)':-2", "-q:v", "3", str(target),
    ]  # fmt: skip
    code, _, err = await _run(cmd, THUMBNAIL_TIMEOUT, "THUMBNAIL_TIMEOUT")
    # a stat of the local scratch file: no need for a thread
    if code != 0 or not target.exists() or target.stat().st_size == 0:
        raise MediaError("UNDECODABLE", _last_line(err, "no frame decoded"), permanent=True)


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


async def run_with_progress(
    cmd: list[str],
    cwd: Path,
    duration_ms: int,
    on_progress: Callable[[int], Awaitable[bool]],
    report_every: float = 1.0,
) -> None:
    """Run ffmpeg with `-progress pipe:1`; `await on_progress(percent)` every
    `report_every` seconds while ffmpeg runs; when it answers False, ffmpeg is stopped
    (SIGTERM, SIGKILL after a grace) and `Stopped` is raised."""
    proc = await asyncio.create_subprocess_exec(
        *cmd, cwd=cwd, stdin=DEVNULL, stdout=PIPE, stderr=PIPE
    )
    out_us = 0
    stderr_tail = bytearray()

    async def read_progress() -> None:
        nonlocal out_us
        assert proc.stdout is not None
        async for raw in proc.stdout:
            key, _, value = raw.decode(errors="replace").strip().partition("=")
            if key == "out_time_us" and value.isdigit():
                out_us = int(value)

    async def read_stderr() -> None:
        assert proc.stderr is not None
        while chunk := await proc.stderr.read(4096):
            stderr_tail.extend(chunk)
            del stderr_tail[:-STDERR_TAIL_BYTES]

    readers = [asyncio.create_task(read_progress()), asyncio.create_task(read_stderr())]
    exited = asyncio.create_task(proc.wait())
    stopped = False
    try:
        while not stopped:
            done, _ = await asyncio.wait({exited}, timeout=report_every)
            if done:
                break
            percent = min(99, int(out_us / 1000 * 100 / max(duration_ms, 1)))
            if not await on_progress(percent):
                stopped = True
                await _stop(proc)
        await asyncio.wait(readers, timeout=5)
    finally:
        await _kill(proc)  # cancelled or failed on our side: ffmpeg must not outlive us
        for task in (*readers, exited):
            task.cancel()
    if stopped:
        raise Stopped()
    if proc.returncode != 0:
        code = proc.returncode or 0
        # Killed by a signal (negative code) is the machine's trouble, not the file's.
        raise MediaError(
            "TRANSCODE_FAILED", _last_line(bytes(stderr_tail), "ffmpeg failed"), permanent=code > 0
        )


async def _stop(proc: Process) -> None:
    proc.terminate()
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(STOP_GRACE_SECONDS):
            await proc.wait()
    await _kill(proc)


async def _kill(proc: Process) -> None:
    if proc.returncode is None:
        with contextlib.suppress(ProcessLookupError):
            proc.kill()
        await proc.wait()


def _last_line(stderr: bytes, fallback: str) -> str:
    lines = [line.strip() for line in stderr.decode(errors="replace").splitlines() if line.strip()]
    return (lines[-1] if lines else fallback)[:500]
