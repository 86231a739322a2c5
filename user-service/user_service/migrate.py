"""`python -m user_service.migrate`: upgrade the `identity` schema to head.

Safe to run from several replicas at once (media_common holds an advisory lock).
"""

from __future__ import annotations

from pathlib import Path

from media_common.migrations import run_migrations
from user_service.models import SCHEMA
from user_service.settings import Settings, get_settings

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def migrate(settings: Settings | None = None) -> None:
    run_migrations(MIGRATIONS, settings or get_settings(), SCHEMA)


if __name__ == "__main__":
    migrate()
