"""Fixtures of the video-service suite: migrated DB, fakes, apps, tokens, uploads."""

from __future__ import annotations

import secrets
import sys
import uuid
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import anyio.from_thread
import pytest
from fastapi.testclient import TestClient
from moto.server import ThreadedMotoServer
from sqlalchemy import update

from media_common.testing import DbParams, JwksServer
from media_common.testing_http import RecordingReceiver
from video_service.main import create_app
from video_service.migrate import migrate
from video_service.settings import Settings
from video_service.webhook_models import WebhookDelivery

sys.path.insert(0, str(Path(__file__).parent))
from video_testkit import FakeCompanyService, FakePointsService, SyncDb, Tenant, fixture_bytes

INTERNAL_TOKEN = "internal-test-token"
PLAYBACK_SECRET = "playback-secret-for-tests-0123456789"
WEBHOOK_ENCRYPTION_KEY = "webhook-encryption-key-for-tests-0123456789"


@pytest.fixture(scope="session")
def video_db(test_db: DbParams) -> DbParams:
    migrate(Settings(**test_db.as_settings()))
    return test_db


@pytest.fixture(scope="session")
def companies() -> Iterator[FakeCompanyService]:
    server = FakeCompanyService(INTERNAL_TOKEN)
    yield server
    server.close()


@pytest.fixture
def points() -> Iterator[FakePointsService]:
    server = FakePointsService(INTERNAL_TOKEN)
    yield server
    server.close()


@pytest.fixture(scope="session")
def moto_endpoint() -> Iterator[str]:
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"{host}:{port}"
    server.stop()


@pytest.fixture
def make_settings(
    video_db: DbParams,
    jwks: JwksServer,
    companies: FakeCompanyService,
    points: FakePointsService,
    tmp_path: Path,
    request: pytest.FixtureRequest,
) -> Callable[..., Settings]:
    def build(backend: str = "local", **overrides: Any) -> Settings:
        values: dict[str, Any] = {
            **video_db.as_settings(),
            "jwks_url": jwks.url,
            "internal_token": INTERNAL_TOKEN,
            "playback_secret": PLAYBACK_SECRET,
            "webhook_encryption_key": WEBHOOK_ENCRYPTION_KEY,
            "webhook_allow_private": True,  # the test receivers listen on 127.0.0.1
            "company_service_url": companies.url,
            "user_service_url": points.url,
            "storage_backend": backend,
            "storage_dir": str(tmp_path / "videos"),
            "db_pool_size": 5,
        }
        if backend == "s3":
            values.update(
                s3_endpoint=request.getfixturevalue("moto_endpoint"),  # started only if needed
                s3_access_key="testing",
                s3_secret_key="testing",
                s3_bucket=f"videos-{uuid.uuid4().hex[:12]}",
            )
        values.update(overrides)
        return Settings(**values)

    return build


@pytest.fixture
def settings(make_settings: Callable[..., Settings]) -> Settings:
    """The settings of the default test app (local storage): for `run_with_database`."""
    return make_settings()


@pytest.fixture
def make_client(make_settings: Callable[..., Settings]) -> Iterator[Callable[..., TestClient]]:
    """Clients of apps used without their lifespan (no background loops: tests drive the
    dispatcher, deliverer and sweeper themselves), each on one event loop of its own that
    every request shares, as in a server: the app's async engine keeps its connections on
    that loop. `client.portal.call(async_fn)` runs more work there."""
    with ExitStack() as stack:

        def build(backend: str = "local", **overrides: Any) -> TestClient:
            client = TestClient(create_app(make_settings(backend, **overrides)))
            client.portal = stack.enter_context(anyio.from_thread.start_blocking_portal())
            stack.callback(client.portal.call, client.app.state.runtime.close)  # type: ignore[attr-defined]
            return client

        yield build


@pytest.fixture
def client(make_client: Callable[..., TestClient]) -> TestClient:
    return make_client()


def _random_id() -> int:
    return secrets.randbelow(2**40) + 1


@pytest.fixture
def new_tenant(jwks: JwksServer, companies: FakeCompanyService) -> Callable[..., Tenant]:
    def build(plan: str = "free") -> Tenant:
        company_id, admin_id, member_id = _random_id(), _random_id(), _random_id()
        companies.plans[company_id] = plan
        admin = jwks.mint(admin_id, company_id, "admin")
        member = jwks.mint(member_id, company_id, "member")
        return Tenant(
            company_id,
            admin_id,
            member_id,
            {"Authorization": f"Bearer {admin}"},
            {"Authorization": f"Bearer {member}"},
        )

    return build


@pytest.fixture
def tenant(new_tenant: Callable[..., Tenant]) -> Tenant:
    return new_tenant()


@pytest.fixture
def upload() -> Callable[..., Any]:
    """POST a file; returns the response."""

    def send(
        client: TestClient,
        headers: dict[str, str],
        content: bytes | None = None,
        *,
        filename: str = "clip.mp4",
        title: str | None = "A clip",
        description: str | None = None,
    ) -> Any:
        data = {k: v for k, v in {"title": title, "description": description}.items() if v}
        files = None
        if content is not None:
            files = {"file": (filename, content, "application/octet-stream")}
        return client.post("/api/v1/videos", headers=headers, data=data, files=files)

    return send


@pytest.fixture
def uploaded(client: TestClient, tenant: Tenant, upload: Callable[..., Any]) -> dict[str, Any]:
    """One MP4 uploaded by the tenant's admin (local storage)."""
    response = upload(client, tenant.admin, fixture_bytes("tiny.mp4"))
    assert response.status_code == 201, response.text
    return dict(response.json())


@pytest.fixture
def db(settings: Settings) -> Iterator[SyncDb]:
    """Rows arranged and checked directly, synchronously (not the app's own access)."""
    database = SyncDb(settings)
    yield database
    database.dispose()


@pytest.fixture
def receiver() -> Iterator[RecordingReceiver]:
    """A webhook receiver on 127.0.0.1 (answers 200 unless scripted otherwise)."""
    server = RecordingReceiver()
    yield server
    server.close()


@pytest.fixture
def quiet_outbox(db: SyncDb) -> None:
    """Every webhook delivery left pending by earlier tests (they share the database) is
    settled first, so a deliverer under test claims only what its own test wrote."""
    with db.sessionmaker.begin() as session:
        session.execute(
            update(WebhookDelivery)
            .where(WebhookDelivery.status == "pending")
            .values(status="failed", lease_token=None)
        )
