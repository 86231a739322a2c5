"""Settings read plain variables and `*_FILE` secrets."""

from __future__ import annotations

from pathlib import Path

import pytest

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
