"""ffmpeg and ffprobe for the video-worker, from the system (Debian's package)."""

from __future__ import annotations

import shutil

from devstack import postgres
from devstack.config import StackConfig
from devstack.ui import StackError


def ensure_ffmpeg(cfg: StackConfig) -> None:
    if shutil.which("ffmpeg") and shutil.which("ffprobe"):
        return
    log = cfg.logs_dir / "install.log"
    if postgres.apt_install(["ffmpeg"], log) and shutil.which("ffmpeg") and shutil.which("ffprobe"):
        return
    raise StackError(
        "ffmpeg/ffprobe not found (the video-worker needs them).\n"
        "  Debian/Ubuntu: sudo apt-get install -y ffmpeg\n"
        "  macOS:         brew install ffmpeg"
        + (f"\n(apt-get output: {log})" if log.exists() else "")
    )
