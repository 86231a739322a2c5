"""Alembic environment of user-service: the `identity` schema only."""

from media_common.migrations import run_env
from user_service.models import SCHEMA, Base
from user_service.settings import get_settings

run_env(Base.metadata, SCHEMA, get_settings)
