"""Helpers for the media pipeline tests: small real videos made by ffmpeg, waiting for
job states, reading Server-Sent Events."""

from __future__ import annotations

import codecs
import json
import subprocess
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import psycopg2
import requests

from tests.support.client import Api, Member
from tests.support.stack import Stack

T = TypeVar("T")


def make_video(
    folder: Path, *, seconds: float = 3, size: str = "320x240", audio: bool = True
) -> Path:
    """An H.264/AAC MP4 from ffmpeg's test sources (a moving pattern and a tone)."""
    target = folder / f"src-{size}-{seconds}s{'' if audio else '-mute'}.mp4"
    if target.exists():
        return target
    cmd = ["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", f"testsrc2=size={size}:rate=25"]
    if audio:
        cmd += ["-f", "lavfi", "-i", "sine=frequency=440:sample_rate=44100"]
    cmd += ["-t", str(seconds), "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p"]
    cmd += ["-c:a", "aac", "-shortest"] if audio else []
    cmd += ["-movflags", "+faststart", str(target)]
    subprocess.run(cmd, check=True, timeout=120)
    return target


def wait_for(probe: Callable[[], T | None], timeout: float, what: str, every: float = 0.25) -> T:
    """Poll `probe` until it returns something truthy (state, not sleep-and-hope)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = probe()
        if value:
            return value
        time.sleep(every)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


def video_of(api: Api, member: Member, video_id: int) -> dict[str, Any]:
    resp = api.get(f"/api/v1/videos/{video_id}", headers=member.headers)
    assert resp.status_code == 200, resp.text
    return resp.json()


def jobs_of(api: Api, member: Member, video_id: int) -> list[dict[str, Any]]:
    resp = api.get(f"/api/v1/videos/{video_id}/jobs", headers=member.headers)
    assert resp.status_code == 200, resp.text
    return list(resp.json()["items"])


def wait_settled(api: Api, member: Member, video_id: int, timeout: float = 120) -> dict[str, Any]:
    """The video once it is `ready` or `failed`."""

    def settled() -> dict[str, Any] | None:
        video = video_of(api, member, video_id)
        return video if video["status"] != "processing" else None

    return wait_for(settled, timeout, f"video {video_id} to settle")


def playback(api: Api, member: Member, video_id: int) -> dict[str, Any]:
    resp = api.post(f"/api/v1/videos/{video_id}/playback", headers=member.headers)
    assert resp.status_code == 200, resp.text
    return resp.json()


@dataclass
class Event:
    id: int
    kind: str
    data: dict[str, Any]


def read_events(
    url: str,
    *,
    until: Callable[[Event], bool],
    headers: dict[str, str] | None = None,
    timeout: float = 120,
) -> list[Event]:
    """Events from an SSE stream until `until(event)` is true (that event included)."""
    events: list[Event] = []
    with requests.get(url, headers=headers or {}, stream=True, timeout=timeout) as resp:
        assert resp.status_code == 200, resp.text
        assert resp.headers["content-type"].startswith("text/event-stream")
        for event in _parse(_sse_lines(resp.iter_content(chunk_size=None))):
            events.append(event)
            if until(event):
                return events
    raise AssertionError("the event stream ended early")


def _sse_lines(chunks: Iterator[bytes]) -> Iterator[str]:
    """Lines of an event stream, ended by CRLF, CR or LF as the SSE format allows.

    Not `iter_lines()`: a chunk that ends between the CR and the LF of one line ending
    makes it yield an empty line, which ends an event half-way.
    """
    decoder = codecs.getincrementaldecoder("utf-8")()
    buffer = ""
    for chunk in chunks:
        buffer += decoder.decode(chunk)
        while True:
            cut = min((i for i in (buffer.find("\r"), buffer.find("\n")) if i >= 0), default=-1)
            if cut < 0 or (buffer[cut] == "\r" and cut == len(buffer) - 1):
                break  # no full line yet, or a CR whose LF may come in the next chunk
            line, ending = buffer[:cut], buffer[cut]
            rest = cut + 1
            if ending == "\r" and buffer[rest : rest + 1] == "\n":
                rest += 1
            buffer = buffer[rest:]
            yield line
    if buffer:
        yield buffer


def _parse(lines: Iterator[str]) -> Iterator[Event]:
    fields: dict[str, str] = {}
    for line in lines:
        if line == "":
            if "data" in fields:
                assert "id" in fields, f"an event without id: {fields}"
                yield Event(
                    int(fields["id"]), fields.get("event", "message"), json.loads(fields["data"])
                )
            fields = {}
        elif not line.startswith(":"):
            name, _, value = line.partition(":")
            fields[name] = value.removeprefix(" ")


def video_row(stack: Stack, video_id: int) -> dict[str, Any]:
    """Columns the API does not show (where the original and the outputs live)."""
    conn = psycopg2.connect(stack.info["media_dsn"])
    try:
        with conn.cursor() as cur:
            cur.execute(
                "SELECT storage_key, hls_prefix, thumbnail_key FROM video.videos WHERE id = %s",
                (video_id,),
            )
            row = cur.fetchone()
    finally:
        conn.close()
    assert row is not None
    return {"storage_key": row[0], "hls_prefix": row[1], "thumbnail_key": row[2]}


def stored_under(stack: Stack, prefix: str) -> list[str]:
    """Object keys under `prefix` in the stack's local storage."""
    root = Path(stack.info["storage_dir"])
    return sorted(p.relative_to(root).as_posix() for p in (root / prefix).rglob("*") if p.is_file())


def ffmpeg_pids_reading(storage_key: str) -> list[int]:
    """Running ffmpeg processes whose input is this stored original."""
    found = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            cmdline = (proc / "cmdline").read_bytes().split(b"\0")
            state = (proc / "stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if (
            state != "Z"
            and cmdline
            and cmdline[0].endswith(b"ffmpeg")
            and any(arg.decode(errors="replace").endswith(storage_key) for arg in cmdline)
        ):
            found.append(int(proc.name))
    return found


def parent_pid(pid: int) -> int:
    return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])
