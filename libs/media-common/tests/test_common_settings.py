"""Settings read plain variables and `*_FILE` secrets."""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import pytest
from sqlalchemy import create_engine, make_url, text
from sqlalchemy.pool import NullPool

from media_common.settings import ServiceSettings


def test_file_variant_is_read_and_stripped(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    secret = tmp_path / "db_password"
    secret.write_text("s3cr3t\n", encoding="utf-8")
    monkeypatch.delenv("DB_PASSWORD", raising=False)
    monkeypatch.setenv("DB_PASSWORD_FILE", str(secret))
    assert ServiceSettings().db_password.get_secret_value() == "s3cr3t"


def test_plain_variable_wins_over_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    secret = tmp_path / "token"
    secret.write_text("from-file", encoding="utf-8")
    monkeypatch.setenv("INTERNAL_TOKEN_FILE", str(secret))
    monkeypatch.setenv("INTERNAL_TOKEN", "from-env")
    assert ServiceSettings().internal_token.get_secret_value() == "from-env"


def test_database_url_hides_password(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DB_PASSWORD", "pw")
    monkeypatch.setenv("DB_PORT", "6543")
    url = ServiceSettings().database_url
    assert url.port == 6543
    assert "pw" not in str(url)
    assert url.password == "pw"


def test_database_url_speaks_utf8_to_an_sql_ascii_database(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A cluster made without a UTF-8 locale (the Swarm's PostgreSQL stand-in) is SQL_ASCII."""
    admin_dsn = os.environ.get("MEDIA_TEST_ADMIN_DSN")
    if not admin_dsn:
        pytest.fail("MEDIA_TEST_ADMIN_DSN is not set: run ./scripts/test")
    admin = make_url(admin_dsn).set(drivername="postgresql+psycopg2")
    name = f"test_ascii_{uuid.uuid4().hex[:8]}"
    engine = create_engine(admin, poolclass=NullPool, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(
            text(
                f"CREATE DATABASE \"{name}\" ENCODING 'SQL_ASCII' LC_COLLATE 'C' LC_CTYPE 'C'"
                " TEMPLATE template0"
            )
        )
    try:
        for key, value in {
            "DB_HOST": admin.host or "127.0.0.1",
            "DB_PORT": str(admin.port or 5432),
            "DB_NAME": name,
            "DB_USER": admin.username or "",
            "DB_PASSWORD": admin.password or "",
        }.items():
            monkeypatch.setenv(key, value)
        ours = create_engine(ServiceSettings().database_url, poolclass=NullPool)
        with ours.connect() as conn:
            assert (
                conn.execute(text("SELECT :v"), {"v": "Zoë — Ａｃｍｅ"}).scalar()
                == "Zoë — Ａｃｍｅ"
            )
        ours.dispose()
    finally:
        with engine.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        engine.dispose()
