"""Rules of the media pipeline without a worker: the ladder, the derived video status,
the HLS command, ffprobe's verdict on a file that is not a video."""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from video_service.media import ffmpeg
from video_service.media.ladder import ladder_for
from video_service.video_status import derived_status


def test_ladder_stops_at_the_source_height_with_even_sizes() -> None:
    assert [r.name for r in ladder_for(1920, 1080)] == ["240p", "360p", "480p", "720p", "1080p"]
    assert [(r.width, r.height) for r in ladder_for(640, 360)] == [(426, 240), (640, 360)]
    assert [r.name for r in ladder_for(1280, 720)][-1] == "720p"
    assert [r.name for r in ladder_for(3840, 2160)][-1] == "1080p"
    tiny = ladder_for(160, 120)
    assert [(r.width, r.height) for r in tiny] == [(160, 120)]
    portrait = ladder_for(720, 1280)
    assert all(r.width % 2 == 0 and r.height % 2 == 0 for r in portrait)


def _job(job_id: int, type_: str, status: str) -> Any:
    return SimpleNamespace(id=job_id, type=type_, status=status)


@pytest.mark.parametrize(
    ("jobs", "status"),
    [
        ([("probe", "queued")], "processing"),
        ([("probe", "succeeded"), ("thumbnail", "succeeded"), ("hls", "running")], "processing"),
        ([("probe", "succeeded"), ("thumbnail", "succeeded"), ("hls", "succeeded")], "ready"),
        ([("probe", "failed")], "failed"),
        ([("probe", "succeeded"), ("thumbnail", "succeeded"), ("hls", "canceled")], "failed"),
        # a canceled re-transcode leaves the earlier renditions in place: still ready
        (
            [("probe", "succeeded"), ("thumbnail", "succeeded"), ("hls", "succeeded"),
             ("hls", "canceled")],
            "ready",
        ),
        # a failed earlier attempt does not count once a later one succeeded
        (
            [("probe", "succeeded"), ("thumbnail", "succeeded"), ("hls", "failed"),
             ("hls", "succeeded")],
            "ready",
        ),
    ],
)  # fmt: skip
def test_video_status_follows_the_latest_job_of_each_type(
    jobs: list[tuple[str, str]], status: str
) -> None:
    assert derived_status([_job(i, t, s) for i, (t, s) in enumerate(jobs, 1)]) == status


def test_hls_command_aligns_keyframes_and_maps_every_rendition() -> None:
    options = ffmpeg.HlsOptions("veryfast", 2, 4)
    cmd = ffmpeg.hls_command("ffmpeg", "in.mp4", ladder_for(1280, 720), True, options)
    joined = " ".join(cmd)
    assert "split=4" in joined and "-force_key_frames expr:gte(t,n_forced*2.0)" in joined
    assert "-sc_threshold 0" in joined and "-hls_time 4" in joined
    assert "v:3,a:3,name:720p" in joined and "-master_pl_name master.m3u8" in joined
    mute = " ".join(ffmpeg.hls_command("ffmpeg", "in.mp4", ladder_for(640, 360), False, options))
    assert "0:a:0" not in mute and "v:1,name:360p" in mute


@pytest.mark.skipif(shutil.which("ffprobe") is None, reason="ffprobe not installed")
def test_probe_of_noise_is_a_permanent_failure(tmp_path: Path) -> None:
    noise = tmp_path / "noise.mp4"
    noise.write_bytes(b"\x00\x00\x00\x18ftypmp42" + bytes(range(256)) * 64)
    with pytest.raises(ffmpeg.MediaError) as failure:
        asyncio.run(ffmpeg.probe("ffprobe", str(noise)))
    assert failure.value.permanent
