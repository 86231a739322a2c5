"""Configuration from the environment (every secret also from `<NAME>_FILE`)."""

from __future__ import annotations

from functools import lru_cache

from pydantic import Field, SecretStr

from media_common.settings import ServiceSettings

MIN_SECRET_LENGTH = 16
MIN_WEBHOOK_KEY_LENGTH = 32


class Settings(ServiceSettings):
    service_name: str = "video-service"
    db_user: str = "video_svc"

    jwks_url: str = "http://user-service:8000/api/v1/auth/jwks.json"
    company_service_url: str = "http://company-service:8000"
    user_service_url: str = "http://user-service:8000"

    storage_backend: str = Field(default="local", pattern="^(local|s3)$")
    storage_dir: str = "./data/videos"
    s3_endpoint: str = ""
    s3_access_key: SecretStr = SecretStr("")
    s3_secret_key: SecretStr = SecretStr("")
    s3_bucket: str = "videos"
    s3_secure: bool = False
    s3_region: str = "us-east-1"

    max_upload_mb: int = Field(default=2048, ge=1)
    points_per_view: int = Field(default=10, ge=1)
    playback_token_ttl: int = Field(default=3600, ge=1)
    playback_secret: SecretStr = SecretStr("")

    outbox_poll_seconds: float = Field(default=1.0, gt=0)
    orphan_sweep_seconds: float = Field(default=300.0, gt=0)
    orphan_grace_seconds: float = Field(default=3600.0, ge=0)

    # The media pipeline (video-worker).
    ffmpeg_bin: str = "ffmpeg"
    ffprobe_bin: str = "ffprobe"
    ffmpeg_preset: str = Field(
        default="veryfast",
        pattern="^(ultrafast|superfast|veryfast|faster|fast|medium|slow|slower|veryslow)$",
    )
    ffmpeg_threads: int = Field(default=0, ge=0, le=64)  # 0: ffmpeg decides
    hls_segment_seconds: int = Field(default=4, ge=2, le=10)
    worker_concurrency: int = Field(default=1, ge=1, le=16)
    worker_port: int = Field(default=8000, ge=1, le=65535)
    job_max_attempts: int = Field(default=3, ge=1, le=20)
    job_retry_base_seconds: int = Field(default=2, ge=1, le=60)
    worker_heartbeat_seconds: float = Field(default=2.0, gt=0)
    stalled_worker_seconds: float = Field(default=10.0, gt=0)
    media_events_keep_hours: float = Field(default=24.0, gt=0)

    webhook_encryption_key: SecretStr = SecretStr("")
    webhook_allow_private: bool = False
    webhook_workers: int = Field(default=8, ge=1, le=256)
    webhook_endpoint_concurrency: int = Field(default=2, ge=1, le=64)
    webhook_poll_seconds: float = Field(default=1.0, gt=0)

    @property
    def max_upload_bytes(self) -> int:
        return self.max_upload_mb * 1024 * 1024

    def check_secrets(self) -> None:
        """Refuse to serve without real secrets (migrations do not need them)."""
        if len(self.playback_secret.get_secret_value()) < MIN_SECRET_LENGTH:
            raise ValueError(f"PLAYBACK_SECRET must be at least {MIN_SECRET_LENGTH} characters")
        if not self.internal_token.get_secret_value():
            raise ValueError("INTERNAL_TOKEN is required")
        if len(self.webhook_encryption_key.get_secret_value()) < MIN_WEBHOOK_KEY_LENGTH:
            raise ValueError(
                f"WEBHOOK_ENCRYPTION_KEY must be at least {MIN_WEBHOOK_KEY_LENGTH} characters"
            )


@lru_cache
def get_settings() -> Settings:
    return Settings()
