"""The media pipeline through the gateway, with real workers and ffmpeg: a small upload
becomes `ready` with its media fields, a poster and an HLS ladder that ffmpeg plays and
seeks from the master URL alone; tenancy and soft delete cover every output."""

from __future__ import annotations

import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.support.client import Api, Member, assert_error
from tests.support.media import (
    jobs_of,
    make_video,
    playback,
    video_of,
    wait_for,
    wait_settled,
)
from tests.support.stack import Stack


@pytest.fixture(scope="module")
def ready_video(stack: Stack, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """A 640x360, 5 s upload of its own company, once the pipeline is done with it."""
    api = Api(stack.gateway)
    company, admin = api.company_with_admin()
    source = make_video(tmp_path_factory.mktemp("media"), seconds=5, size="640x360")
    video = api.upload(admin, source)
    assert video["status"] == "processing"
    assert video["duration_ms"] is None
    settled = wait_settled(api, admin, video["id"])
    assert settled["status"] == "ready", jobs_of(api, admin, video["id"])
    return {"api": api, "company": company, "admin": admin, "video": settled}


def _master_url(api: Api, member: Member, video_id: int) -> str:
    hls_url = playback(api, member, video_id)["hls_url"]
    assert hls_url, "playback has no hls_url for a ready video"
    return f"{api.base}{hls_url}"


def test_ready_video_has_media_fields_jobs_and_a_poster(
    ready_video: dict[str, Any], tmp_path: Path
) -> None:
    api, admin, video = ready_video["api"], ready_video["admin"], ready_video["video"]
    assert abs(video["duration_ms"] - 5000) <= 100
    assert (video["width"], video["height"]) == (640, 360)
    assert (video["video_codec"], video["audio_codec"]) == ("h264", "aac")
    jobs = jobs_of(api, admin, video["id"])
    assert sorted(j["type"] for j in jobs) == ["hls", "probe", "thumbnail"]
    for job in jobs:
        assert (job["status"], job["progress"], job["attempts"], job["error"]) == (
            "succeeded", 100, 1, None,
        )  # fmt: skip
        assert job["started_at"] and job["finished_at"]
        one = api.get(f"/api/v1/jobs/{job['id']}", headers=admin.headers)
        assert one.status_code == 200 and one.json() == job

    poster = api.get(f"/api/v1/videos/{video['id']}/thumbnail", headers=admin.headers)
    assert poster.status_code == 200
    assert poster.headers["content-type"] == "image/jpeg"
    path = tmp_path / "poster.jpg"
    path.write_bytes(poster.content)
    probe = subprocess.run(
        ["ffprobe", "-v", "error", "-select_streams", "v:0", "-show_entries",
         "stream=codec_name,width,height", "-of", "csv=p=0", str(path)],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    assert probe.stdout.strip() == "mjpeg,640,360"
    links = playback(api, admin, video["id"])
    assert links["thumbnail_url"] and links["hls_url"]
    by_token = requests.get(f"{api.base}{links['thumbnail_url']}", timeout=10)
    assert by_token.status_code == 200 and by_token.content == poster.content


def test_hls_master_plays_and_seeks_with_only_the_token(ready_video: dict[str, Any]) -> None:
    api, admin, video = ready_video["api"], ready_video["admin"], ready_video["video"]
    url = _master_url(api, admin, video["id"])
    master = requests.get(url, timeout=10)
    assert master.status_code == 200
    assert master.headers["content-type"] == "application/vnd.apple.mpegurl"
    infos = [line for line in master.text.splitlines() if line.startswith("#EXT-X-STREAM-INF")]
    assert len(infos) == 2  # 240p and 360p for a 360p source
    for info, size in zip(infos, ("426x240", "640x360"), strict=True):
        assert "BANDWIDTH=" in info and f"RESOLUTION={size}" in info
        assert 'CODECS="avc1.' in info and "mp4a.40.2" in info
    variants = [line for line in master.text.splitlines() if line and not line.startswith("#")]
    durations = []
    for variant in variants:
        assert "?token=" in variant
        playlist = requests.get(f"{url.rsplit('/', 1)[0]}/{variant}", timeout=10)
        assert playlist.status_code == 200, playlist.text
        assert playlist.headers["content-type"] == "application/vnd.apple.mpegurl"
        lines = playlist.text.splitlines()
        durations.append([line for line in lines if line.startswith("#EXTINF")])
        segment_uri = next(line for line in lines if line.endswith(".ts") or ".ts?" in line)
        assert "?token=" in segment_uri
        base = f"{url.rsplit('/', 1)[0]}/{variant.split('?')[0].rsplit('/', 1)[0]}"
        segment = requests.get(f"{base}/{segment_uri}", timeout=10)
        assert segment.status_code == 200
        assert segment.headers["content-type"] == "video/mp2t"
        assert not any(h.lower().startswith(("x-accel", "x-storage")) for h in segment.headers)
    # Keyframes forced at the same instants: every rendition cuts the same segments.
    assert durations[0] == durations[1]
    assert all(4.0 <= float(d.split(":")[1].rstrip(",")) <= 6.0 for d in durations[0][:-1])

    decoded = subprocess.run(
        ["ffmpeg", "-v", "error", "-i", url, "-map", "0:v:0", "-map", "0:a:0", "-f", "null", "-"],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert decoded.returncode == 0, decoded.stderr
    seeked = subprocess.run(
        ["ffmpeg", "-v", "error", "-ss", "3", "-i", url, "-frames:v", "1", "-f", "null", "-"],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert seeked.returncode == 0, seeked.stderr


def test_master_playlist_records_the_view_once(ready_video: dict[str, Any]) -> None:
    api, video = ready_video["api"], ready_video["video"]
    viewer = api.member(ready_video["company"]["id"])
    before = api.points(viewer)
    for _ in range(3):
        resp = api.get(f"/api/v1/videos/{video['id']}/hls/master.m3u8", headers=viewer.headers)
        assert resp.status_code == 200
    wait_for(lambda: api.points(viewer) > before, 10, "the view's points")
    assert api.points(viewer) - before == 10  # POINTS_PER_VIEW, once


def test_every_media_route_is_404_for_another_company(ready_video: dict[str, Any]) -> None:
    api, admin, video = ready_video["api"], ready_video["admin"], ready_video["video"]
    vid = video["id"]
    job_id = jobs_of(api, admin, vid)[0]["id"]
    _, stranger = api.company_with_admin()
    token = playback(api, admin, vid)["url"].split("token=")[1]
    for method, path in (
        ("GET", f"/api/v1/videos/{vid}/jobs"),
        ("GET", f"/api/v1/jobs/{job_id}"),
        ("POST", f"/api/v1/videos/{vid}/transcodes"),
        ("POST", f"/api/v1/jobs/{job_id}/cancel"),
        ("GET", f"/api/v1/videos/{vid}/events"),
        ("GET", f"/api/v1/videos/{vid}/thumbnail"),
        ("GET", f"/api/v1/videos/{vid}/hls/master.m3u8"),
        ("GET", f"/api/v1/videos/{vid}/hls/240p/index.m3u8"),
        ("GET", f"/api/v1/videos/{vid}/hls/240p/seg_00000.ts"),
    ):
        assert_error(api.request(method, path, headers=stranger.headers), 404, "NOT_FOUND")
        # and a playback token of this video is refused for any other video id
        other = path.replace(f"/videos/{vid}/", f"/videos/{vid + 10_000}/")
        if "/videos/" in path and method == "GET":
            assert api.get(f"{other}?token={token}").status_code in (401, 404)
    assert api.get(f"/api/v1/videos/{vid}/hls/240p/index.m3u8").status_code == 401


def test_deleted_video_hides_every_output_and_restore_brings_them_back(
    ready_video: dict[str, Any],
) -> None:
    api, admin, video = ready_video["api"], ready_video["admin"], ready_video["video"]
    vid = video["id"]
    url = _master_url(api, admin, vid)
    token = url.split("token=")[1]
    base = f"{api.base}/api/v1/videos/{vid}"
    outputs = [
        f"{base}/thumbnail?token={token}",
        url,
        f"{base}/hls/240p/index.m3u8?token={token}",
        f"{base}/hls/240p/seg_00000.ts?token={token}",
        f"{base}/jobs",
    ]
    assert all(requests.get(u, headers=admin.headers, timeout=10).ok for u in outputs)
    assert api.request("DELETE", f"/api/v1/videos/{vid}", headers=admin.headers).status_code == 204

    def all_status(code: int) -> bool:
        return all(requests.get(u, timeout=10).status_code == code for u in outputs[:4])

    wait_for(lambda: all_status(404), 10, "outputs of the deleted video to be 404")
    assert requests.get(outputs[4], headers=admin.headers, timeout=10).status_code == 404

    future = (datetime.now(UTC) + timedelta(days=30)).isoformat()
    api.set_plan(admin, "paid", future)
    restored = api.post(f"/api/v1/videos/{vid}/restore", headers=admin.headers)
    assert restored.status_code == 200, restored.text
    wait_for(lambda: all_status(200), 10, "outputs of the restored video to be back")
    assert video_of(api, admin, vid)["status"] == "ready"


def test_worker_health_and_metrics(stack: Stack, ready_video: dict[str, Any]) -> None:
    for port in stack.info["workers"]["video-worker"]["ports"]:
        health = requests.get(f"http://127.0.0.1:{port}/healthz", timeout=5)
        assert health.status_code == 200
        assert health.json() == {"status": "ok", "role": "video-worker", "database": "ok"}
    scraped = "".join(
        requests.get(f"http://127.0.0.1:{port}/metrics", timeout=5).text
        for port in stack.info["workers"]["video-worker"]["ports"]
    )
    assert 'media_jobs_total{outcome="succeeded",type="hls"}' in scraped
    assert "media_job_processing_seconds_bucket" in scraped
    assert "media_queue_depth " in scraped
