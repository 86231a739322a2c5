"""Migrations: upgrade to head, downgrade to base and back, in a database of their own."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic import command
from alembic.config import Config
from sqlalchemy import create_engine, inspect
from sqlalchemy.pool import NullPool

from media_common.testing import drop_database, provision_database
from video_service.main import create_app
from video_service.migrate import MIGRATIONS, migrate
from video_service.settings import Settings

TABLES = {
    "videos", "views", "outbox", "media_jobs", "media_events", "alembic_version",
    "webhook_endpoints", "webhook_events", "webhook_deliveries",
    # the job queue's own tables (procrastinate's schema, applied in the video schema)
    "procrastinate_jobs", "procrastinate_workers", "procrastinate_events",
    "procrastinate_periodic_defers",
}  # fmt: skip


def test_migrations_are_reversible(admin_dsn: str) -> None:
    params = provision_database(admin_dsn, ["video"])
    settings = Settings(**params.as_settings())
    engine = create_engine(settings.database_url, poolclass=NullPool)
    try:
        migrate(settings)
        migrate(settings)  # a second replica starting: nothing to do
        assert set(inspect(engine).get_table_names(schema="video")) == TABLES
        with engine.connect() as conn:
            config = Config()
            config.set_main_option("script_location", str(MIGRATIONS))
            config.attributes["connection"] = conn
            command.downgrade(config, "base")
            conn.commit()
        assert set(inspect(engine).get_table_names(schema="video")) == {"alembic_version"}
        migrate(settings)
        assert set(inspect(engine).get_table_names(schema="video")) == TABLES
    finally:
        engine.dispose()
        drop_database(admin_dsn, params.db_name)


@pytest.mark.parametrize(
    "overrides",
    [
        {"playback_secret": ""},
        {"playback_secret": "short"},
        {"internal_token": ""},
        {"webhook_encryption_key": ""},
        {"webhook_encryption_key": "k" * 31},
    ],
)
def test_app_refuses_to_start_without_real_secrets(overrides: dict[str, str]) -> None:
    values = {
        "playback_secret": "p" * 32,
        "internal_token": "tok",
        "webhook_encryption_key": "k" * 32,
        **overrides,
    }
    with pytest.raises(ValueError, match=r"PLAYBACK_SECRET|INTERNAL_TOKEN|WEBHOOK_ENCRYPTION_KEY"):
        create_app(Settings(**values))


def test_secrets_come_from_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    secret = tmp_path / "playback"
    secret.write_text("from-a-docker-secret-0123456789\n")
    monkeypatch.setenv("PLAYBACK_SECRET_FILE", str(secret))
    monkeypatch.setenv("STORAGE_BACKEND", "s3")
    monkeypatch.setenv("S3_SECURE", "true")
    monkeypatch.setenv("MAX_UPLOAD_MB", "7")
    settings = Settings()
    assert settings.playback_secret.get_secret_value() == "from-a-docker-secret-0123456789"
    assert settings.storage_backend == "s3" and settings.s3_secure is True
    assert settings.max_upload_bytes == 7 * 1024 * 1024
    assert settings.service_name == "video-service" and settings.db_user == "video_svc"
    monkeypatch.setenv("STORAGE_BACKEND", "ftp")
    with pytest.raises(ValueError):
        Settings()
