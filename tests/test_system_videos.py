"""Videos through the gateway: upload, nginx-served Range streaming, trash and restore."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from tests.support.client import Api, Member, assert_error, sample_video


def _stream(api: Api, member: Member, video_id: int, **headers: str):
    return api.get(f"/api/v1/videos/{video_id}/stream", headers={**member.headers, **headers})


def test_upload_list_and_stream_every_range_form(api: Api) -> None:
    company, admin = api.company_with_admin()
    member = api.member(company["id"])
    path = sample_video(".mp4")
    data = path.read_bytes()
    size = len(data)
    assert size > 1100, "fixture too small for the range forms"
    video = api.upload(admin, path, title="Ünïcode títle ✓")
    assert video["content_type"] == "video/mp4"
    assert video["size_bytes"] == size
    listed = api.get("/api/v1/videos", headers=member.headers).json()
    assert [v["id"] for v in listed["items"]] == [video["id"]]
    assert listed["total"] == 1

    full = _stream(api, member, video["id"])
    assert full.status_code == 200
    assert full.content == data
    assert full.headers["Accept-Ranges"] == "bytes"
    assert full.headers["Content-Type"] == "video/mp4"
    assert int(full.headers["Content-Length"]) == size
    for header in full.headers:
        assert not header.lower().startswith(("x-accel", "x-storage", "x-amz")), header

    cases = {
        "bytes=0-99": (0, 99),
        "bytes=1000-": (1000, size - 1),
        "bytes=-500": (size - 500, size - 1),
        f"bytes=10-{size + 5000}": (10, size - 1),
    }
    for spec, (start, end) in cases.items():
        resp = _stream(api, member, video["id"], Range=spec)
        assert resp.status_code == 206, spec
        assert resp.headers["Content-Range"] == f"bytes {start}-{end}/{size}", spec
        assert resp.content == data[start : end + 1], spec
    bad = _stream(api, member, video["id"], Range=f"bytes={size + 10}-")
    assert bad.status_code == 416
    head = api.request("HEAD", f"/api/v1/videos/{video['id']}/stream", headers=member.headers)
    assert head.status_code == 200
    assert int(head.headers["Content-Length"]) == size
    assert head.content == b""


def test_webm_upload_and_disguised_files(api: Api, tmp_path: Path) -> None:
    _, admin = api.company_with_admin()
    webm = api.upload(admin, sample_video(".webm"))
    assert webm["content_type"] == "video/webm"
    fake = tmp_path / "movie.mp4"
    fake.write_bytes(b"<!doctype html><html><body>not a video</body></html>" * 20)
    with fake.open("rb") as fh:
        resp = api.post(
            "/api/v1/videos",
            headers=admin.headers,
            files={"file": ("movie.mp4", fh, "video/mp4")},
            data={"title": "fake"},
        )
    assert_error(resp, 415, "UNSUPPORTED_MEDIA_TYPE")
    listed = api.get("/api/v1/videos", headers=admin.headers).json()
    assert listed["total"] == 1


def test_members_cannot_upload_or_see_trash(api: Api) -> None:
    company, _admin = api.company_with_admin()
    member = api.member(company["id"])
    with sample_video().open("rb") as fh:
        resp = api.post(
            "/api/v1/videos",
            headers=member.headers,
            files={"file": ("a.mp4", fh)},
            data={"title": "x"},
        )
    assert_error(resp, 403, "FORBIDDEN")
    assert_error(api.get("/api/v1/videos?deleted=true", headers=member.headers), 403, "FORBIDDEN")


def test_playback_url_streams_without_header_and_rejects_tampering(api: Api) -> None:
    _company, admin = api.company_with_admin()
    video = api.upload(admin)
    play = api.post(f"/api/v1/videos/{video['id']}/playback", headers=admin.headers)
    assert play.status_code == 200, play.text
    url = play.json()["url"]
    assert url.startswith(("/api/v1/videos/", "http"))
    full_url = url if url.startswith("http") else f"{api.base}{url}"
    ok = api.http.get(full_url, headers={"Range": "bytes=0-9"}, timeout=30)
    assert ok.status_code == 206
    tampered = full_url[:-3] + ("AAA" if not full_url.endswith("AAA") else "BBB")
    assert api.http.get(tampered, timeout=30).status_code == 401


def test_soft_delete_and_restore_follow_the_plan(api: Api) -> None:
    _, admin = api.company_with_admin()
    video = api.upload(admin)
    vid = video["id"]
    assert api.request("DELETE", f"/api/v1/videos/{vid}", headers=admin.headers).status_code == 204
    assert_error(api.get(f"/api/v1/videos/{vid}", headers=admin.headers), 404, "NOT_FOUND")
    assert _stream(api, admin, vid).status_code == 404
    trash = api.get("/api/v1/videos?deleted=true", headers=admin.headers).json()
    assert [v["id"] for v in trash["items"]] == [vid]
    assert trash["items"][0]["deleted_at"]

    assert_error(
        api.post(f"/api/v1/videos/{vid}/restore", headers=admin.headers), 403, "PLAN_REQUIRED"
    )
    soon = (datetime.now(UTC) + timedelta(days=30)).isoformat()
    api.set_plan(admin, "paid", soon)
    restored = api.post(f"/api/v1/videos/{vid}/restore", headers=admin.headers)
    assert restored.status_code == 200, restored.text
    assert restored.json()["deleted_at"] is None
    assert _stream(api, admin, vid, Range="bytes=0-3").status_code == 206
