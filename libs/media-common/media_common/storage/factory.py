"""Build the configured backend."""

from __future__ import annotations

from media_common.storage.base import ObjectStorage, StorageConfig
from media_common.storage.local import LocalStorage


def storage_from_settings(settings: StorageConfig) -> ObjectStorage:
    """`STORAGE_BACKEND=local` (folder `STORAGE_DIR`) or `s3` (the `S3_*` settings)."""
    backend = settings.storage_backend.lower()
    if backend == "local":
        return LocalStorage(settings.storage_dir)
    if backend == "s3":
        from media_common.storage.s3 import S3Storage  # the minio client only when used

        if not settings.s3_endpoint:
            raise ValueError("S3_ENDPOINT is required when STORAGE_BACKEND=s3")
        return S3Storage(
            settings.s3_endpoint,
            settings.s3_access_key.get_secret_value(),
            settings.s3_secret_key.get_secret_value(),
            settings.s3_bucket,
            secure=settings.s3_secure,
            region=settings.s3_region,
        )
    raise ValueError(f"unknown STORAGE_BACKEND {settings.storage_backend!r} (local or s3)")
