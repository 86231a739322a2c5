"""Decide what a file is from its first bytes, never from its name or declared type.

`puremagic` (a maintained signature database) gives the candidates; the structure is
then checked here: an ISO BMFF `ftyp` box with a known brand (MP4 or QuickTime), or an
EBML header whose DocType is `webm` or `matroska`. Both must agree.
"""

from __future__ import annotations

from dataclasses import dataclass

import puremagic

SNIFF_BYTES = 4096

_QUICKTIME_BRANDS = {b"qt  "}
_MP4_BRANDS = {
    b"isom", b"iso2", b"iso3", b"iso4", b"iso5", b"iso6", b"iso8", b"iso9",
    b"mp41", b"mp42", b"mp71", b"avc1", b"hvc1", b"hev1", b"av01", b"dash",
    b"M4V ", b"M4VH", b"M4VP", b"MSNV", b"NDAS", b"f4v ", b"cmfc", b"cmf2",
}  # fmt: skip
# Same container, but audio or still images: refused even when compatible brands say mp4.
_NOT_VIDEO_BRANDS = {b"M4A ", b"M4B ", b"M4P ", b"heic", b"heix", b"mif1", b"msf1", b"avif"}
_EBML_MAGIC = b"\x1a\x45\xdf\xa3"
_EBML_DOCTYPE_ID = b"\x42\x82"


@dataclass(frozen=True, slots=True)
class VideoType:
    content_type: str
    extension: str


MP4 = VideoType("video/mp4", "mp4")
QUICKTIME = VideoType("video/quicktime", "mov")
WEBM = VideoType("video/webm", "webm")
MATROSKA = VideoType("video/x-matroska", "mkv")

_FAMILY_MIMES = {
    "bmff": {"video/mp4", "video/quicktime", "video/3gpp", "video/x-m4v"},
    "ebml": {"video/webm", "video/x-matroska", "application/x-matroska"},
}


def _iso_bmff(head: bytes) -> VideoType | None:
    if len(head) < 16 or head[4:8] != b"ftyp":
        return None
    box_size = int.from_bytes(head[0:4], "big")
    if box_size < 16 or box_size > len(head):
        return None
    if head[8:12] in _NOT_VIDEO_BRANDS:
        return None
    brands = {head[8:12]} | {head[i : i + 4] for i in range(16, box_size - 3, 4)}
    if head[8:12] in _QUICKTIME_BRANDS:
        return QUICKTIME
    if brands & _MP4_BRANDS:
        return MP4
    if brands & _QUICKTIME_BRANDS:
        return QUICKTIME
    return None


def _vint(data: bytes, pos: int) -> tuple[int, int] | None:
    """An EBML variable-length integer at `pos`: (value, length) or None when malformed."""
    if pos >= len(data) or data[pos] == 0:
        return None
    first = data[pos]
    length = 8 - first.bit_length() + 1
    if pos + length > len(data):
        return None
    value = first & (0xFF >> length)
    for byte in data[pos + 1 : pos + length]:
        value = (value << 8) | byte
    return value, length


def _ebml(head: bytes) -> VideoType | None:
    if not head.startswith(_EBML_MAGIC):
        return None
    size = _vint(head, 4)
    if size is None:
        return None
    header_end = min(len(head), 4 + size[1] + size[0])
    pos = 4 + size[1]
    while pos + 2 < header_end:
        element_id = head[pos : pos + 2]
        length = _vint(head, pos + 2)
        if length is None:
            return None
        start = pos + 2 + length[1]
        value = head[start : start + length[0]]
        if element_id == _EBML_DOCTYPE_ID:
            doctype = value.rstrip(b"\x00")
            return {b"webm": WEBM, b"matroska": MATROSKA}.get(doctype)
        pos = start + length[0]
    return None


def _library_agrees(head: bytes, family: str) -> bool:
    try:
        matches = puremagic.magic_string(head)
    except puremagic.PureError:
        return False
    return any(match.mime_type in _FAMILY_MIMES[family] for match in matches)


def sniff_video_type(head: bytes) -> VideoType | None:
    """The video type of a file starting with `head`, or None when it is not one we take."""
    found = _iso_bmff(head)
    if found is not None:
        return found if _library_agrees(head, "bmff") else None
    found = _ebml(head)
    if found is not None:
        return found if _library_agrees(head, "ebml") else None
    return None
