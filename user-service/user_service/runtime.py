"""Everything one app instance is built from: the database, password hashing, the token
signer, the client of company-service, the access state and the ledger's pool.

Built once per `create_app` (tests build several apps in one process) and reached from
requests through `app.state.runtime` (`api.deps.RuntimeDep`). Everything runs on the
app's event loop; bcrypt runs in worker threads (`passwords.py`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from media_common.access import AccessState, CompanyFeed, feed_client
from media_common.auth import load_public_keys
from media_common.db import Database
from media_common.internal_http import InternalClient
from user_service.api.admission import CreditGate
from user_service.authentication import Authenticator
from user_service.company_client import CompanyDirectory
from user_service.passwords import PasswordHasher
from user_service.points import Ledger
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
    ledger: Ledger
    access: AccessState

    @classmethod
    def build(cls, settings: Settings) -> Runtime:
        db = Database(settings)
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
            reader=db.reader,
            passwords=passwords,
            access_tokens=access_tokens,
            companies=companies,
            refresh_ttl=timedelta(days=settings.refresh_token_ttl_days),
        )
        return cls(
            settings,
            db,
            passwords,
            access_tokens,
            companies,
            authenticator,
            CreditGate(),
            Ledger(settings, pool_size=CreditGate.default_concurrency),
            # Deactivated companies; users themselves are read from the database.
            AccessState.for_feeds(
                [CompanyFeed(feed_client(settings.company_service_url, settings))], settings
            ),
        )

    async def start(self) -> None:
        await self.access.start()

    async def stop(self) -> None:
        await self.access.stop()

    async def close(self) -> None:
        await self.access.close()
        await self.companies.close()
        await self.ledger.dispose()
        await self.db.dispose()
