"""HTTP Range requests (RFC 9110 §14) for the no-nginx fallback stream."""

from __future__ import annotations

import re
from dataclasses import dataclass

from media_common.errors import RangeNotSatisfiable

_SPEC = re.compile(r"^\s*(\d*)\s*-\s*(\d*)\s*$")


@dataclass(frozen=True, slots=True)
class ByteRange:
    start: int
    end: int  # inclusive

    def content_range(self, size: int) -> str:
        return f"bytes {self.start}-{self.end}/{size}"


def parse_range(header: str | None, size: int) -> ByteRange | None:
    """The one range to serve, or None for the whole file.

    Malformed headers and multi-range requests are ignored (the whole file, 200), which
    RFC 9110 allows; a syntactically valid range that misses the file raises 416.
    """
    if not header:
        return None
    unit, _, specs = header.partition("=")
    if unit.strip().lower() != "bytes" or "," in specs:
        return None
    match = _SPEC.match(specs)
    if match is None or match.group(1) == match.group(2) == "":
        return None
    first, last = match.group(1), match.group(2)
    if first == "":
        suffix = int(last)
        if suffix == 0 or size == 0:
            raise _unsatisfiable(size)
        return ByteRange(max(0, size - suffix), size - 1)
    start = int(first)
    if last and int(last) < start:
        return None
    if start >= size:
        raise _unsatisfiable(size)
    end = min(int(last), size - 1) if last else size - 1
    return ByteRange(start, end)


def _unsatisfiable(size: int) -> RangeNotSatisfiable:
    return RangeNotSatisfiable(
        f"The file has {size} bytes", headers={"Content-Range": f"bytes */{size}"}
    )


def counts_as_view(header: str | None) -> bool:
    """The view rule of both stream paths (nginx's and the fallback), from the request alone.

    A GET is a view when it asks for the file's first byte: no Range, or a bytes Range whose
    first range starts at byte 0 (`bytes=0-`, `bytes=00-99`, `bytes=0-1,5-9`). A suffix range
    (`bytes=-500`, even one longer than the file), a range starting later (`bytes=5-3`
    included) and a header that is no byte range are not.
    """
    if not header:
        return True
    unit, _, specs = header.partition("=")
    if unit.strip().lower() != "bytes":
        return False
    match = _SPEC.match(specs.split(",", 1)[0])
    return match is not None and match.group(1) != "" and int(match.group(1)) == 0
