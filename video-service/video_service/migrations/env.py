"""Alembic environment of video-service (tables and version table in schema `video`)."""

from media_common.migrations import run_env
from video_service.models import SCHEMA, Base
from video_service.settings import Settings

run_env(Base.metadata, SCHEMA, Settings)
