"""Alembic environment of company-service: the `company` schema only."""

from company_service.models import SCHEMA, Base
from company_service.settings import get_settings
from media_common.migrations import run_env

run_env(Base.metadata, SCHEMA, get_settings)
