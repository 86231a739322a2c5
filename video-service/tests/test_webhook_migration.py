"""The webhook tables of the models are exactly those the migrations create."""

from __future__ import annotations

from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine
from sqlalchemy.pool import NullPool

from media_common.testing import drop_database, provision_database
from video_service.migrate import migrate
from video_service.models import SCHEMA, Base
from video_service.settings import Settings

WEBHOOK_TABLES = ("webhook_endpoints", "webhook_events", "webhook_deliveries")


def _touches_webhooks(diff: Any) -> bool:
    return any(table in repr(diff) for table in WEBHOOK_TABLES)


def test_webhook_models_match_the_migration(admin_dsn: str) -> None:
    params = provision_database(admin_dsn, [SCHEMA])
    settings = Settings(**params.as_settings())
    engine = create_engine(settings.database_url, poolclass=NullPool)
    try:
        migrate(settings)
        with engine.connect() as conn:
            context = MigrationContext.configure(
                conn,
                opts={
                    "include_schemas": True,
                    "version_table_schema": SCHEMA,
                    "include_name": lambda name, type_, _: type_ != "schema" or name == SCHEMA,
                },
            )
            diffs = [d for d in compare_metadata(context, Base.metadata) if _touches_webhooks(d)]
        assert diffs == []
    finally:
        engine.dispose()
        drop_database(admin_dsn, params.db_name)
