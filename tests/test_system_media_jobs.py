"""Media jobs with real workers: live progress over SSE and its resume, idempotent
transcodes under a race, cancel, a file ffmpeg cannot decode, and a worker SIGKILLed in the
middle of a transcode."""

from __future__ import annotations

import itertools
import os
import signal
import threading
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.support.client import Api, Member, assert_error
from tests.support.media import (
    Event,
    ffmpeg_pids_reading,
    jobs_of,
    make_video,
    parent_pid,
    playback,
    read_events,
    stored_under,
    video_of,
    video_row,
    wait_for,
    wait_settled,
)
from tests.support.stack import Stack


@pytest.fixture(scope="module")
def sources(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("sources")
    return {
        "short": make_video(folder, seconds=3),
        "medium": make_video(folder, seconds=12),
        # long enough that a transcode is still running when a test acts on it, also on a
        # fast machine (20 s was not: CI finished one before the cancel arrived)
        "long": make_video(folder, seconds=90),
    }


def _hls_job(api: Api, member: Member, video_id: int) -> dict[str, Any] | None:
    found = [j for j in jobs_of(api, member, video_id) if j["type"] == "hls"]
    return found[0] if found else None  # newest first


def _running_with_progress(api: Api, member: Member, video_id: int) -> dict[str, Any] | None:
    job = _hls_job(api, member, video_id)
    return job if job and job["status"] == "running" and job["progress"] > 0 else None


def _is_ready(event: Event) -> bool:
    return event.kind == "video" and event.data["status"] in ("ready", "failed")


def test_events_show_rising_progress_and_resume_after_last_event_id(
    api: Api, sources: dict[str, Path]
) -> None:
    _, admin = api.company_with_admin()
    video = api.upload(admin, sources["medium"])
    token = playback(api, admin, video["id"])["url"].split("token=")[1]
    url = f"{api.base}/api/v1/videos/{video['id']}/events"
    events = read_events(f"{url}?token={token}", until=_is_ready)
    assert events[-1].data["status"] == "ready"
    ids = [e.id for e in events]
    assert ids == sorted(set(ids))
    hls = [e.data for e in events if e.kind == "job" and e.data["type"] == "hls"]
    assert hls[0]["status"] == "queued" and hls[-1]["status"] == "succeeded"
    running = [j["progress"] for j in hls if j["status"] == "running"]
    assert running == sorted(running), running
    assert any(0 < p < 100 for p in running), running
    assert {e.data["type"] for e in events if e.kind == "job"} == {"probe", "thumbnail", "hls"}

    middle = events[len(events) // 2]
    resumed = read_events(url, headers={**admin.headers, "Last-Event-ID": str(middle.id)},
                          until=_is_ready)  # fmt: skip
    assert [e.id for e in resumed] == [e.id for e in events if e.id > middle.id]
    assert requests.get(f"{url}?token=forged", timeout=10).status_code == 401


def test_transcode_requests_racing_get_one_job(
    api: Api, stack: Stack, sources: dict[str, Path]
) -> None:
    _, admin = api.company_with_admin()
    video = api.upload(admin, sources["short"])
    assert wait_settled(api, admin, video["id"])["status"] == "ready"
    first_prefix = video_row(stack, video["id"])["hls_prefix"]
    answers: list[requests.Response] = []
    barrier = threading.Barrier(8)

    def ask() -> None:
        barrier.wait()
        answers.append(
            requests.post(
                f"{api.base}/api/v1/videos/{video['id']}/transcodes",
                headers=admin.headers,
                timeout=30,
            )
        )

    threads = [threading.Thread(target=ask) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert [r.status_code for r in answers] == [202] * 8, [r.text for r in answers]
    assert {r.json()["type"] for r in answers} == {"hls"}
    # Never two at once. On a quiet machine the 3 s source transcodes in ~0.3 s, so a late
    # request may rightly find the first job finished and start the next one: then each
    # job ended before the next one began.
    ids = sorted({r.json()["id"] for r in answers})

    def finished(job_id: int) -> dict[str, Any] | None:
        one = api.get(f"/api/v1/jobs/{job_id}", headers=admin.headers).json()
        return one if one["status"] == "succeeded" else None

    jobs = [wait_for(lambda i=i: finished(i), 120, f"transcode {i}") for i in ids]
    for earlier, later in itertools.pairwise(jobs):
        ended, began = (
            datetime.fromisoformat(j[k])
            for j, k in ((earlier, "finished_at"), (later, "started_at"))
        )
        assert ended <= began, (earlier, later)
    job = jobs[-1]
    again = api.post(f"/api/v1/videos/{video['id']}/transcodes", headers=admin.headers)
    assert again.status_code == 202 and again.json()["id"] != job["id"]
    wait_settled(api, admin, video["id"])
    # One set of renditions at a time: the new set replaced the old one.
    row = video_row(stack, video["id"])
    assert row["hls_prefix"] != first_prefix
    keys = stored_under(stack, f"media/{video['id']}/hls")
    assert keys and all(k.startswith(f"{row['hls_prefix']}/") for k in keys)
    member = api.member(admin.company_id)
    assert_error(
        api.post(f"/api/v1/videos/{video['id']}/transcodes", headers=member.headers),
        403, "FORBIDDEN",
    )  # fmt: skip


def test_cancel_stops_a_running_transcode(api: Api, stack: Stack, sources: dict[str, Path]) -> None:
    _, admin = api.company_with_admin()
    video = api.upload(admin, sources["long"])
    key = video_row(stack, video["id"])["storage_key"]
    member = api.member(admin.company_id)
    job = wait_for(lambda: _running_with_progress(api, admin, video["id"]), 120, "hls running")
    cancel = f"/api/v1/jobs/{job['id']}/cancel"
    assert_error(api.post(cancel, headers=member.headers), 403, "FORBIDDEN")
    resp = api.post(cancel, headers=admin.headers)
    assert resp.status_code == 200, resp.text
    assert resp.json()["status"] == "canceled"
    wait_for(lambda: not ffmpeg_pids_reading(key), 5, "ffmpeg to stop", every=0.1)
    assert_error(api.post(cancel, headers=admin.headers), 409, "CONFLICT")
    settled = wait_settled(api, admin, video["id"])
    assert settled["status"] == "failed"
    assert api.get(f"/api/v1/jobs/{job['id']}", headers=admin.headers).json()["status"] == (
        "canceled"
    )
    assert not stored_under(stack, f"media/{video['id']}/hls")
    stream = api.get(f"/api/v1/videos/{video['id']}/stream", headers=admin.headers)
    assert stream.status_code == 200


def test_a_file_ffmpeg_cannot_decode_fails_for_good(
    api: Api, sources: dict[str, Path], tmp_path: Path
) -> None:
    _, admin = api.company_with_admin()
    good = sources["short"].read_bytes()
    broken = tmp_path / "broken.mp4"
    broken.write_bytes(good[:64] + os.urandom(64 * 1024))  # an MP4 header, then noise
    video = api.upload(admin, broken)
    settled = wait_settled(api, admin, video["id"])
    assert settled["status"] == "failed"
    (probe,) = jobs_of(api, admin, video["id"])
    assert probe["type"] == "probe" and probe["status"] == "failed"
    assert probe["attempts"] == 1
    assert probe["error"]["code"] in ("UNDECODABLE", "NO_VIDEO_STREAM"), probe
    assert probe["error"]["message"]
    stream = api.get(f"/api/v1/videos/{video['id']}/stream", headers=admin.headers)
    assert stream.status_code == 200 and stream.content == broken.read_bytes()
    assert video_of(api, admin, video["id"])["duration_ms"] is None


def test_worker_killed_mid_transcode_is_taken_up_and_finishes_once(
    api: Api, stack: Stack, sources: dict[str, Path]
) -> None:
    _, admin = api.company_with_admin()
    video = api.upload(admin, sources["long"])
    key = video_row(stack, video["id"])["storage_key"]
    wait_for(lambda: _running_with_progress(api, admin, video["id"]), 120, "hls running")
    ffmpeg = wait_for(lambda: ffmpeg_pids_reading(key), 10, "the transcode's ffmpeg")
    worker = parent_pid(ffmpeg[0])
    assert b"video_service.worker" in Path(f"/proc/{worker}/cmdline").read_bytes()
    try:
        os.kill(worker, signal.SIGKILL)
        settled = wait_settled(api, admin, video["id"], timeout=180)
        assert settled["status"] == "ready"
        hls = _hls_job(api, admin, video["id"])
        assert hls is not None and hls["status"] == "succeeded"
        assert hls["attempts"] == 2
        assert len([j for j in jobs_of(api, admin, video["id"]) if j["type"] == "hls"]) == 1
        row = video_row(stack, video["id"])
        keys = stored_under(stack, f"media/{video['id']}/hls")
        assert keys and all(k.startswith(f"{row['hls_prefix']}/") for k in keys), keys
        assert f"{row['hls_prefix']}/master.m3u8" in keys
        assert stored_under(stack, f"media/{video['id']}/thumb") == [row["thumbnail_key"]]
    finally:
        stack.start("video-worker")


def test_ffmpeg_killed_by_a_signal_is_retried_with_backoff(
    api: Api, stack: Stack, sources: dict[str, Path]
) -> None:
    """A transient failure (ffmpeg dies of a signal, not of the file): the job goes back to
    the queue, runs again after the backoff and succeeds; the video never looks failed."""
    _, admin = api.company_with_admin()
    video = api.upload(admin, sources["long"])
    key = video_row(stack, video["id"])["storage_key"]
    url = f"{api.base}/api/v1/videos/{video['id']}/events"
    seen: list[Event] = []
    reader = threading.Thread(
        target=lambda: seen.extend(read_events(url, headers=admin.headers, until=_is_ready)),
        daemon=True,
    )
    reader.start()
    wait_for(lambda: _running_with_progress(api, admin, video["id"]), 120, "hls running")
    (pid,) = wait_for(lambda: ffmpeg_pids_reading(key), 10, "the transcode's ffmpeg")
    os.kill(pid, signal.SIGKILL)
    assert wait_settled(api, admin, video["id"], timeout=180)["status"] == "ready"
    hls = _hls_job(api, admin, video["id"])
    assert hls is not None and (hls["status"], hls["attempts"], hls["error"]) == (
        "succeeded", 2, None,
    )  # fmt: skip
    reader.join(timeout=30)
    statuses = [e.data["status"] for e in seen if e.kind == "job" and e.data["type"] == "hls"]
    requeued = statuses.index("queued", 1)  # back in the queue after the first run
    assert "running" in statuses[requeued:] and statuses[-1] == "succeeded", statuses
    assert [e.data["status"] for e in seen if e.kind == "video"] == ["ready"]
