"""Where media outputs live in storage, and how an attempt's outputs replace the last ones.

Every attempt writes under its own tag (`media/<video>/hls/<tag>/...`,
`media/<video>/thumb/<tag>.jpg`). The video row names the live tag; the job's commit
switches it. Before an attempt starts and after the switch, everything else under the
video's folder of that kind is deleted, so a killed attempt leaves nothing behind for
long and readers never see a half-written set. (Outside `videos/`: the orphan sweeper of
uploads does not look here.)
"""

from __future__ import annotations

import logging
import mimetypes
from pathlib import Path

from media_common.storage import ObjectStorage

logger = logging.getLogger(__name__)

CONTENT_TYPES = {
    ".m3u8": "application/vnd.apple.mpegurl",
    ".ts": "video/mp2t",
    ".jpg": "image/jpeg",
}


def hls_root(video_id: int) -> str:
    return f"media/{video_id}/hls/"


def hls_prefix(video_id: int, tag: str) -> str:
    return f"{hls_root(video_id)}{tag}"


def thumb_root(video_id: int) -> str:
    return f"media/{video_id}/thumb/"


def thumb_key(video_id: int, tag: str) -> str:
    return f"{thumb_root(video_id)}{tag}.jpg"


def content_type(name: str) -> str:
    suffix = Path(name).suffix.lower()
    return CONTENT_TYPES.get(suffix) or mimetypes.guess_type(name)[0] or "application/octet-stream"


def upload_folder(storage: ObjectStorage, folder: Path, prefix: str) -> int:
    """Every file under `folder` to `prefix/<relative path>`; master playlists last."""
    files = sorted(p for p in folder.rglob("*") if p.is_file())
    files.sort(key=lambda p: p.name == "master.m3u8")
    for path in files:
        key = f"{prefix}/{path.relative_to(folder).as_posix()}"
        with path.open("rb") as handle:
            storage.put_stream(key, handle, path.stat().st_size, content_type(path.name))
    return len(files)


def delete_except(storage: ObjectStorage, root: str, keep: str | None) -> int:
    """Delete every object under `root` except those under (or equal to) `keep`."""
    removed = 0
    for key, _ in list(storage.list_keys(root)):
        if keep is not None and (key == keep or key.startswith(f"{keep}/")):
            continue
        try:
            storage.delete(key)
            removed += 1
        except Exception:
            logger.exception("could not delete %s (the next attempt retries)", key)
    return removed
