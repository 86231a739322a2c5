"""Everything an app instance holds: DB, token verifier, storage, clients, background work.

Built once per `create_app` (tests build several apps in one process) and reached from
requests through `app.state.runtime` (`api.deps.RuntimeDep`). Everything runs on the
app's event loop; storage calls go to threads on purpose (`asyncio.to_thread`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from media_common.access import AccessState, CompanyFeed, UserFeed, feed_client
from media_common.auth import TokenVerifier
from media_common.db import Database
from media_common.internal_http import InternalClient
from media_common.storage import ObjectStorage, storage_from_settings
from video_service.company_client import CompanyPlans
from video_service.dispatcher import OutboxDispatcher
from video_service.output_cache import OutputCache
from video_service.playback import PlaybackTokens
from video_service.queue import JobQueue
from video_service.settings import Settings
from video_service.sweeper import OrphanSweeper
from video_service.videos import VIDEOS_DELETED
from video_service.views import OUTBOX_WRITTEN, SeenViews
from video_service.webhook_delivery import WebhookDeliverer
from video_service.webhook_secrets import SecretBox
from video_service.webhook_sender import WebhookSender
from video_service.webhooks import EVENTS_WRITTEN

POINTS_CALL_TIMEOUT = 2.0


@dataclass
class Runtime:
    settings: Settings
    db: Database
    verifier: TokenVerifier
    storage: ObjectStorage
    plans: CompanyPlans
    playback: PlaybackTokens
    dispatcher: OutboxDispatcher
    sweeper: OrphanSweeper
    seen_views: SeenViews
    webhook_secrets: SecretBox
    webhooks: WebhookDeliverer
    queue: JobQueue
    outputs: OutputCache
    access: AccessState

    @classmethod
    def build(cls, settings: Settings) -> Runtime:
        db = Database(settings)
        storage = storage_from_settings(settings)
        token = settings.internal_token.get_secret_value()
        webhook_secrets = SecretBox(settings.webhook_encryption_key.get_secret_value())
        # No HTTP retries for point credits: the outbox retries, with backoff.
        points_client = InternalClient(
            settings.user_service_url, token, timeout=POINTS_CALL_TIMEOUT, retries=0
        )
        runtime = cls(
            settings=settings,
            db=db,
            verifier=TokenVerifier(
                settings.jwks_url,
                settings.jwt_issuer,
                settings.jwt_audience,
                public_keys_file=settings.jwt_public_keys_file,
            ),
            storage=storage,
            plans=CompanyPlans(
                InternalClient(settings.company_service_url, token, timeout=2.0, retries=1)
            ),
            playback=PlaybackTokens(
                settings.playback_secret.get_secret_value(), settings.playback_token_ttl
            ),
            dispatcher=OutboxDispatcher(
                db.sessionmaker, points_client, poll_seconds=settings.outbox_poll_seconds
            ),
            sweeper=OrphanSweeper(
                db.sessionmaker,
                storage,
                interval_seconds=settings.orphan_sweep_seconds,
                grace_seconds=settings.orphan_grace_seconds,
            ),
            seen_views=SeenViews(),
            webhook_secrets=webhook_secrets,
            webhooks=WebhookDeliverer(
                db.sessionmaker,
                webhook_secrets,
                WebhookSender(allow_private=settings.webhook_allow_private),
                workers=settings.webhook_workers,
                per_endpoint=settings.webhook_endpoint_concurrency,
                poll_seconds=settings.webhook_poll_seconds,
            ),
            queue=JobQueue(db.engine),
            outputs=OutputCache(db.reader),
            access=AccessState.for_feeds(
                [
                    UserFeed(feed_client(settings.user_service_url, settings)),
                    CompanyFeed(feed_client(settings.company_service_url, settings)),
                ],
                settings,
            ),
        )
        db.after_commit.append(runtime.committed)
        return runtime

    def committed(self, info: Mapping[str, Any]) -> None:
        """What follows a request's commit in this process, from what its session wrote:
        new point credits and webhook events are sent now rather than at the next poll,
        the HLS segments of deleted videos stop here at once."""
        if info.get(OUTBOX_WRITTEN):
            self.dispatcher.wake()
        if info.get(EVENTS_WRITTEN):
            self.webhooks.wake()
        for video_id in info.get(VIDEOS_DELETED, ()):
            self.outputs.forget(video_id)

    async def start(self) -> None:
        await self.access.start()
        self.dispatcher.start()
        self.sweeper.start()
        self.webhooks.start()

    async def stop(self) -> None:
        await self.access.stop()
        await self.dispatcher.stop()
        await self.sweeper.stop()
        await self.webhooks.stop()

    async def close(self) -> None:
        await self.access.close()
        await self.plans.close()
        await self.dispatcher.close()
        await self.webhooks.close()
        await self.db.dispose()
