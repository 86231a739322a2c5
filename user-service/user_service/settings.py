"""user-service settings, read from the environment (secrets also from `*_FILE`)."""

from __future__ import annotations

from functools import lru_cache

from pydantic import Field, SecretStr, field_validator

from media_common.settings import ServiceSettings


class Settings(ServiceSettings):
    service_name: str = "user-service"
    db_user: str = "identity_svc"

    # Required: video-service presents it on /internal/*; user-service presents it to
    # company-service. An empty token would make every internal call fail.
    internal_token: SecretStr
    # RSA private key (PEM) that signs access tokens; its public half is served as JWKS.
    jwt_private_key: SecretStr
    access_token_ttl_seconds: int = Field(default=900, ge=30, le=86_400)
    refresh_token_ttl_days: int = Field(default=30, ge=1, le=365)
    company_service_url: str = "http://company-service:8000"
    # How long the point endpoint waits for a lock before answering 409 LOCK_CONFLICT.
    points_lock_timeout_ms: int = Field(default=50, ge=1, le=10_000)
    # How far back the access feed reaches: at least the lifetime of any token a service
    # accepts (access tokens, video-service's playback URLs).
    access_feed_horizon_seconds: int = Field(default=86_400, ge=60)
    # bcrypt cost factor; tests lower it to 4 to stay fast.
    bcrypt_rounds: int = Field(default=12, ge=4, le=31)

    @field_validator("internal_token", "jwt_private_key")
    @classmethod
    def _not_empty(cls, value: SecretStr) -> SecretStr:
        if not value.get_secret_value().strip():
            raise ValueError("must not be empty")
        return value

    @field_validator("jwt_private_key")
    @classmethod
    def _real_newlines(cls, value: SecretStr) -> SecretStr:
        # A PEM squeezed into one environment line often carries literal "\n" sequences.
        pem = value.get_secret_value()
        if "\n" not in pem.strip() and "\\n" in pem:
            return SecretStr(pem.replace("\\n", "\n"))
        return value


@lru_cache
def get_settings() -> Settings:
    return Settings()  # type: ignore[call-arg]  # values come from the environment
