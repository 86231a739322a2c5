"""`python -m video_service.migrate`: upgrade schema `video` to head (replica-safe)."""

from __future__ import annotations

from pathlib import Path

from media_common.migrations import run_migrations
from video_service.models import SCHEMA
from video_service.settings import Settings, get_settings

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def migrate(settings: Settings | None = None) -> None:
    run_migrations(MIGRATIONS, settings or get_settings(), SCHEMA)


if __name__ == "__main__":
    migrate()
