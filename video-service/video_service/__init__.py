"""video-service: company videos, their bytes in object storage, streaming, views, points."""
