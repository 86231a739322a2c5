"""Settings base: every field comes from the environment, secrets also from `<NAME>_FILE`.

A Docker secret is mounted as a file; pointing `DB_PASSWORD_FILE=/run/secrets/db_password`
at it is equivalent to setting `DB_PASSWORD` to the file's content (trailing newline
stripped). The plain variable wins when both are set.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from pydantic import Field, SecretStr
from pydantic.fields import FieldInfo
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
)
from sqlalchemy import URL


class FileSecretsSource(PydanticBaseSettingsSource):
    """Reads `<FIELD>_FILE` environment variables and returns the files' contents."""

    def get_field_value(self, field: FieldInfo, field_name: str) -> tuple[Any, str, bool]:
        path = os.environ.get(f"{field_name.upper()}_FILE")
        if not path:
            return None, field_name, False
        return Path(path).read_text(encoding="utf-8").rstrip("\r\n"), field_name, False

    def __call__(self) -> dict[str, Any]:
        values: dict[str, Any] = {}
        for name, field in self.settings_cls.model_fields.items():
            value, key, _ = self.get_field_value(field, name)
            if value is not None:
                values[key] = value
        return values


class ServiceSettings(BaseSettings):
    """Settings every service shares; each service subclasses it."""

    model_config = SettingsConfigDict(extra="ignore", case_sensitive=False)

    service_name: str = "service"
    log_level: str = "INFO"

    db_host: str = "127.0.0.1"
    db_port: int = 5432
    db_name: str = "media"
    db_user: str = "postgres"
    db_password: SecretStr = SecretStr("")
    # 16, not 10: at 32 concurrent small requests a process waited for connections, and
    # those waits made the p99 (docs/benchmarks.md). Count it against max_connections.
    db_pool_size: int = 16

    internal_token: SecretStr = SecretStr("")
    jwt_issuer: str = "media-resource"
    jwt_audience: str = "media-resource"
    # Public keys that verify access tokens, as a JWKS file (a Swarm secret or config):
    # a replica starting while user-service is down still verifies tokens (auth.py).
    jwt_public_keys_file: str = ""
    # Current authorization (access.py): feed poll period, and the age of the last good
    # read beyond which requests answer 503 rather than trust a token's claims.
    access_poll_seconds: float = Field(default=1.0, gt=0)
    access_max_age_seconds: float = Field(default=4.0, gt=0)

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (init_settings, env_settings, FileSecretsSource(settings_cls))

    @property
    def async_database_url(self) -> URL:
        """The same database for the async driver (asyncpg) of the request path."""
        return self.database_url.set(drivername="postgresql+asyncpg", query={})

    @property
    def database_url(self) -> URL:
        # UTF-8 on the wire whatever the database's own encoding: a cluster initialised
        # without a UTF-8 locale is SQL_ASCII, whose default client encoding would make the
        # driver refuse every non-ASCII name or title (and procrastinate's schema SQL).
        return URL.create(
            "postgresql+psycopg2",
            username=self.db_user,
            password=self.db_password.get_secret_value() or None,
            host=self.db_host,
            port=self.db_port,
            database=self.db_name,
            query={"client_encoding": "utf8"},
        )
