"""The identity schema's migrations: upgrade, full downgrade, upgrade again; no drift."""

from __future__ import annotations

from alembic import command
from alembic.config import Config
from sqlalchemy import create_engine, inspect
from sqlalchemy.pool import NullPool

from media_common.testing import drop_database, provision_database
from user_service.migrate import MIGRATIONS, migrate
from user_service.models import SCHEMA, Base
from user_service.settings import Settings


def test_migrations_are_reversible_and_match_the_models(
    admin_dsn: str, private_key_pem: str
) -> None:
    params = provision_database(admin_dsn, [SCHEMA])
    try:
        settings = Settings(
            **params.as_settings(), internal_token="t", jwt_private_key=private_key_pem
        )
        migrate(settings)
        engine = create_engine(settings.database_url, poolclass=NullPool)
        tables = set(inspect(engine).get_table_names(schema=SCHEMA))
        assert tables == {*(t.name for t in Base.metadata.sorted_tables), "alembic_version"}

        config = Config()
        config.set_main_option("script_location", str(MIGRATIONS))
        with engine.begin() as conn:
            config.attributes["connection"] = conn
            command.check(config)  # the models and the migrations agree
            command.downgrade(config, "base")
        assert set(inspect(engine).get_table_names(schema=SCHEMA)) == {"alembic_version"}
        migrate(settings)
        assert set(inspect(engine).get_table_names(schema=SCHEMA)) == tables
        engine.dispose()
    finally:
        drop_database(admin_dsn, params.db_name)
