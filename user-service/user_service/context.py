"""Everything one app instance is built from (tests build several apps in a process)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from media_common.db import Database
from media_common.internal_http import InternalClient
from user_service.api.admission import CreditGate
from user_service.authentication import Authenticator
from user_service.companies import CompanyDirectory
from user_service.passwords import PasswordHasher
from user_service.settings import Settings
from user_service.tokens import AccessTokens, SigningKey


@dataclass(frozen=True)
class AppContext:
    settings: Settings
    db: Database
    passwords: PasswordHasher
    access_tokens: AccessTokens
    companies: CompanyDirectory
    authenticator: Authenticator
    credit_gate: CreditGate

    @classmethod
    def build(cls, settings: Settings) -> AppContext:
        passwords = PasswordHasher(settings.bcrypt_rounds)
        access_tokens = AccessTokens(
            SigningKey(settings.jwt_private_key.get_secret_value()),
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
        )

    def close(self) -> None:
        self.companies.close()
        self.db.dispose()
