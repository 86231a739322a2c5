"""Everything one app instance is built from: the database, password hashing, the token
signer, the client of company-service, the access state and the ledger's pool.

Built once per `create_app` (tests build several apps in one process) and reached from
requests through `app.state.runtime` (`api.deps.RuntimeDep`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import Engine, create_engine

from media_common.access import AccessState, CompanyFeed, feed_client
from media_common.auth import load_public_keys
from media_common.db import Database
from media_common.internal_http import InternalClient
from user_service.api.admission import CreditGate
from user_service.authentication import Authenticator
from user_service.company_client import CompanyDirectory
from user_service.passwords import PasswordHasher
from user_service.settings import Settings
from user_service.tokens import AccessTokens, SigningKey


@dataclass(frozen=True)
class Runtime:
    settings: Settings
    db: Database
    passwords: PasswordHasher
    access_tokens: AccessTokens
    companies: CompanyDirectory
    authenticator: Authenticator
    credit_gate: CreditGate
    ledger: Engine
    access: AccessState

    @classmethod
    def build(cls, settings: Settings) -> Runtime:
        passwords = PasswordHasher(settings.bcrypt_rounds)
        access_tokens = AccessTokens(
            SigningKey(settings.jwt_private_key.get_secret_value()),
            load_public_keys(settings.jwt_public_keys_file),
            issuer=settings.jwt_issuer,
            audience=settings.jwt_audience,
            ttl_seconds=settings.access_token_ttl_seconds,
        )
        # A login waits for company-service: at most two 2-second attempts, then 503.
        companies = CompanyDirectory(
            InternalClient(
                settings.company_service_url,
                settings.internal_token.get_secret_value(),
                timeout=2.0,
                retries=1,
            )
        )
        authenticator = Authenticator(
            passwords=passwords,
            access_tokens=access_tokens,
            companies=companies,
            refresh_ttl=timedelta(days=settings.refresh_token_ttl_days),
        )
        return cls(
            settings,
            Database(settings),
            passwords,
            access_tokens,
            companies,
            authenticator,
            CreditGate(),
            _ledger_engine(settings),
            # Deactivated companies; users themselves are read from the database.
            AccessState.for_feeds(
                [CompanyFeed(feed_client(settings.company_service_url, settings))], settings
            ),
        )

    def start_background(self) -> None:
        self.access.start()

    def stop_background(self) -> None:
        self.access.stop()

    def close(self) -> None:
        self.access.close()
        self.companies.close()
        self.ledger.dispose()
        self.db.dispose()


def _ledger_engine(settings: Settings) -> Engine:
    """Connections born in autocommit for the one-statement credit (see `points.py`).

    Switching a pooled connection's isolation level costs two round trips per credit;
    a pool of its own avoids that on the hottest path of the service.
    """
    return create_engine(
        settings.database_url,
        isolation_level="AUTOCOMMIT",
        pool_size=CreditGate.default_concurrency,
        max_overflow=CreditGate.default_concurrency,
        pool_pre_ping=True,
        connect_args={"connect_timeout": 5, "application_name": f"{settings.service_name}-ledger"},
    )
