"""Object storage for video bytes: one interface, a local-folder and an S3 backend.

`storage_from_settings` picks the backend from the service's settings. Object keys are
chosen by the caller (video-service generates them); backends refuse keys that could
escape their root or bucket prefix.
"""

from media_common.storage.base import (
    ObjectStat,
    ObjectStorage,
    Readable,
    StorageConfig,
    validate_key,
)
from media_common.storage.factory import storage_from_settings
from media_common.storage.local import LocalStorage

__all__ = [
    "LocalStorage",
    "ObjectStat",
    "ObjectStorage",
    "Readable",
    "StorageConfig",
    "storage_from_settings",
    "validate_key",
]
