"""The HLS rendition ladder: which heights for a source, their sizes and bitrates."""

from __future__ import annotations

from dataclasses import dataclass

# (height, video kbit/s): the standard rungs, up to the source's own height.
RUNGS = ((240, 400), (360, 800), (480, 1400), (720, 2800), (1080, 5000))


@dataclass(frozen=True)
class Rendition:
    name: str
    width: int
    height: int
    video_kbps: int


def _even(value: float) -> int:
    return max(2, round(value / 2) * 2)


def ladder_for(source_width: int, source_height: int) -> list[Rendition]:
    """Every rung not above the source; a source below 240p gets one rung at its own size."""
    rungs = [(h, kbps) for h, kbps in RUNGS if h <= source_height]
    if not rungs:
        rungs = [(_even(source_height), RUNGS[0][1])]
    aspect = source_width / source_height
    return [Rendition(f"{h}p", _even(h * aspect), h, kbps) for h, kbps in rungs]
