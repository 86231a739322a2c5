"""Everything one app instance is built from: the database, the token verifier, the
access state, the client of user-service and the background sweepers.

Built once per `create_app` (tests build several apps in one process) and reached from
requests through `app.state.runtime` (`api.deps.RuntimeDep`). Everything runs on the
app's event loop.
"""

from __future__ import annotations

from dataclasses import dataclass

from company_service import companies
from company_service.founding import Founders
from company_service.settings import Settings
from company_service.sweeper import FoundingSweeper, PlanSweeper
from media_common.access import AccessState, LocalCompanyFeed, UserFeed, feed_client
from media_common.auth import TokenVerifier
from media_common.db import Database
from media_common.internal_http import InternalClient


@dataclass
class Runtime:
    settings: Settings
    db: Database
    verifier: TokenVerifier
    access: AccessState
    founders: Founders
    sweeper: PlanSweeper
    founding_sweeper: FoundingSweeper

    @classmethod
    def build(cls, settings: Settings) -> Runtime:
        db = Database(settings)
        founders = Founders(
            InternalClient(
                settings.user_service_url,
                settings.internal_token.get_secret_value(),
                timeout=15.0,
                retries=1,
            )
        )
        return cls(
            settings=settings,
            db=db,
            verifier=TokenVerifier(
                settings.jwks_url,
                settings.jwt_issuer,
                settings.jwt_audience,
                public_keys_file=settings.jwt_public_keys_file,
            ),
            access=AccessState.for_feeds(
                [
                    UserFeed(feed_client(settings.user_service_url, settings)),
                    LocalCompanyFeed(lambda: companies.inactive_company_ids(db)),
                ],
                settings,
            ),
            founders=founders,
            sweeper=PlanSweeper(db, settings.plan_sweep_seconds),
            founding_sweeper=FoundingSweeper(
                db, founders, settings.founding_sweep_seconds, settings.founding_grace_seconds
            ),
        )

    async def start(self) -> None:
        await self.access.start()
        self.sweeper.start()
        self.founding_sweeper.start()

    async def stop(self) -> None:
        await self.sweeper.stop()
        await self.founding_sweeper.stop()
        await self.access.stop()

    async def close(self) -> None:
        await self.access.close()
        await self.founders.close()
        await self.db.dispose()
