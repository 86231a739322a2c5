"""Unit tests of the rules without HTTP: sniffing, ranges, text cleaning, playback tokens."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from video_testkit import fixture_bytes

from media_common.errors import RangeNotSatisfiable, Unauthorized
from media_common.text import clean_text
from video_service.media_types import sniff_video_type
from video_service.playback import PlaybackTokens, Viewer
from video_service.ranges import ByteRange, counts_as_view, parse_range
from video_service.schemas import safe_filename


@pytest.mark.parametrize(
    ("name", "content_type"),
    [
        ("tiny.mp4", "video/mp4"),
        ("tiny.mov", "video/quicktime"),
        ("tiny.webm", "video/webm"),
        ("tiny.mkv", "video/x-matroska"),
    ],
)
def test_sniff_real_files(name: str, content_type: str) -> None:
    found = sniff_video_type(fixture_bytes(name)[:4096])
    assert found is not None and found.content_type == content_type


@pytest.mark.parametrize(
    "head",
    [
        b"",
        b"<html>",
        b"\x7fELF" + bytes(60),
        b"GIF89a" + bytes(60),
        b"\x89PNG\r\n\x1a\n" + bytes(60),
        b"%PDF-1.7" + bytes(60),
        b"PK\x03\x04" + bytes(60),
        b"\x00\x00\x00\x18ftypM4A \x00\x00\x00\x00M4A isom",  # audio in an MP4 box
        b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic",  # a still image
        b"\x00\x00\x00\xffftypisom",  # ftyp box larger than what we have
        b"\x1a\x45\xdf\xa3\x84\x42\x82\x81x",  # EBML with a DocType we do not take
        b"\x1a\x45\xdf\xa3\xff",
        b"RIFF\x00\x00\x00\x00AVI LIST",  # a video, but not a container we take
    ],
)
def test_sniff_refuses_everything_else(head: bytes) -> None:
    assert sniff_video_type(head) is None


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (None, None),
        ("bytes=0-99", ByteRange(0, 99)),
        ("bytes=1000-", ByteRange(1000, 9999)),
        ("bytes=-500", ByteRange(9500, 9999)),
        ("bytes=9000-20000", ByteRange(9000, 9999)),
        ("bytes=-20000", ByteRange(0, 9999)),
        ("bytes=0-0", ByteRange(0, 0)),
        ("bytes=0-1,4-5", None),
        ("bytes=5-1", None),
        ("bytes=x-1", None),
        ("lines=1-2", None),
        ("bytes=-", None),
    ],
)
def test_parse_range(header: str | None, expected: ByteRange | None) -> None:
    assert parse_range(header, 10_000) == expected


@pytest.mark.parametrize("header", ["bytes=10000-", "bytes=99999999999999999999999-", "bytes=-0"])
def test_unsatisfiable_ranges(header: str) -> None:
    with pytest.raises(RangeNotSatisfiable) as caught:
        parse_range(header, 10_000)
    assert caught.value.headers == {"Content-Range": "bytes */10000"}


@pytest.mark.parametrize(
    ("header", "view"),
    [(None, True), ("", True), ("bytes=0-", True), ("bytes=0-99", True), ("bytes=00-5", True),
     ("bytes=0-1,5-9", True), (" BYTES = 0 - 9", True), ("bytes=5-", False),
     ("bytes=5-3", False), ("bytes=-500", False), ("bytes=-20000", False),
     ("bytes=4-5,0-1", False), ("bytes=x-1", False), ("lines=0-2", False), ("bytes=-", False)],
)  # fmt: skip
def test_counts_as_view(header: str | None, view: bool) -> None:
    assert counts_as_view(header) is view


def test_clean_text() -> None:
    assert clean_text("  e\u0301  ") == "é"
    assert clean_text("a\nb", multiline=True) == "a\nb"
    for bad in ("a\x00", "a\x7f", "a\x85", "a\u202e", "\ud800", "a\ufffe", "a\u200b", "\ufeffa"):
        with pytest.raises(ValueError):
            clean_text(bad)


@pytest.mark.parametrize(
    ("name", "safe"),
    [
        ("../../etc/passwd.mp4", "passwd.mp4"),
        ("C:\\Users\\me\\clip.mp4", "clip.mp4"),
        ("bad\x00name\x1b.mp4", "badname.mp4"),
        (".hidden.mp4", "hidden.mp4"),
        ("", None),
        (None, None),
        ("/", None),
        ("a" * 1000, "a" * 255),
    ],
)
def test_safe_filename(name: str | None, safe: str | None) -> None:
    assert safe_filename(name) == safe


def test_playback_token_round_trip_and_binding() -> None:
    tokens = PlaybackTokens("s" * 32, 60)
    token, expires_at = tokens.issue(Viewer(5, 6), 7)
    assert 55 <= (expires_at - datetime.now(UTC)).total_seconds() <= 60
    assert tokens.verify(token, 7) == Viewer(5, 6)
    with pytest.raises(Unauthorized):
        tokens.verify(token, 8)
    with pytest.raises(Unauthorized):
        PlaybackTokens("t" * 32, 60).verify(token, 7)
    with pytest.raises(Unauthorized):
        tokens.verify(token[:-2], 7)
    expired, _ = PlaybackTokens("s" * 32, -120).issue(Viewer(5, 6), 7)
    with pytest.raises(Unauthorized, match="expired"):
        tokens.verify(expired, 7)
