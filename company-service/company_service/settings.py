"""company-service settings, read from the environment (secrets also from `*_FILE`)."""

from __future__ import annotations

from functools import lru_cache

from pydantic import Field, SecretStr, field_validator

from media_common.settings import ServiceSettings


class Settings(ServiceSettings):
    service_name: str = "company-service"
    db_user: str = "company_svc"

    # Required: callers of /internal/* present it; an empty token would lock them all out.
    internal_token: SecretStr
    jwks_url: str = "http://user-service:8000/api/v1/auth/jwks.json"
    # Founding (POST /api/v1/companies) asks user-service to create the first admin.
    user_service_url: str = "http://user-service:8000"
    # A pending company older than this is settled by the founding sweeper (founding.py).
    founding_grace_seconds: float = Field(default=60, ge=1)
    founding_sweep_seconds: float = Field(default=10, ge=0)
    # Seconds between two runs of the plan sweeper; 0 turns the sweeper off.
    plan_sweep_seconds: float = Field(default=60, ge=0)

    @field_validator("internal_token")
    @classmethod
    def _internal_token_set(cls, value: SecretStr) -> SecretStr:
        if not value.get_secret_value().strip():
            raise ValueError("INTERNAL_TOKEN must not be empty")
        return value


@lru_cache
def get_settings() -> Settings:
    return Settings()  # type: ignore[call-arg]  # values come from the environment
