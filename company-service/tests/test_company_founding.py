"""A company and its first admin, all or nothing (company_service.founding)."""

from __future__ import annotations

from datetime import timedelta

from company_fakes import founder
from sqlalchemy import select

from company_service.models import Company
from company_service.sweeper import FoundingSweeper
from media_common.models import utcnow


def _count_named(db, name: str) -> int:
    db.expire_all()
    return len(db.scalars(select(Company.id).where(Company.name == name)).all())


def test_create_answers_the_company_with_its_admin(client, users, unique_name):
    email = f"{unique_name('ann').replace(' ', '-').lower()}@example.com"
    response = client.post(
        "/api/v1/companies",
        json={"name": unique_name(), "admin": {**founder(email), "name": "Ann"}},
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["admin"]["email"] == email
    assert body["admin"]["name"] == "Ann"
    assert users.founders[body["id"]]["email"] == email


def test_taken_email_leaves_no_company(client, db, users, unique_name):
    name, email = unique_name(), "taken-" + unique_name("").strip() + "@example.com"
    users.taken.add(email)
    response = client.post("/api/v1/companies", json={"name": name, "admin": founder(email)})
    assert response.status_code == 409, response.text
    assert response.json()["code"] == "CONFLICT"
    assert _count_named(db, name) == 0
    again = client.post("/api/v1/companies", json={"name": name, "admin": founder()})
    assert again.status_code == 201


def test_bad_email_or_password_is_refused_before_anything(client, db, users, unique_name):
    name = unique_name()
    calls_before = len(users.founders) + len(users.cancelled)
    for admin in (
        {"email": "not-an-email", "password": "s3cret-pass"},
        {"email": "ann@example.com", "password": "short"},
        {"email": "ann@example.com", "password": "s3cret-pass", "name": "A\u202eB"},
        {"email": "ann@example.com"},
    ):
        response = client.post("/api/v1/companies", json={"name": name, "admin": admin})
        assert response.status_code == 422, response.text
    assert client.post("/api/v1/companies", json={"name": name}).status_code == 422
    assert len(users.founders) + len(users.cancelled) == calls_before
    assert _count_named(db, name) == 0


def test_user_service_down_leaves_no_company(client, db, users, unique_name):
    name = unique_name()
    users.down = True
    try:
        response = client.post("/api/v1/companies", json={"name": name, "admin": founder()})
    finally:
        users.down = False
    assert response.status_code == 503, response.text
    assert response.json()["code"] == "SERVICE_UNAVAILABLE"
    # user-service could not even be told to cancel: the row stays pending, unusable, and
    # the sweeper settles it once user-service answers again.
    db.expire_all()
    pending = db.scalars(select(Company).where(Company.name == name)).all()
    assert [c.status for c in pending] in ([], ["abandoned"])
    sweeper = FoundingSweeper(
        client.app.state.runtime.db,
        client.app.state.runtime.founders,
        0,
        grace_seconds=1,
        clock=lambda: utcnow() + timedelta(seconds=5),
    )
    client.portal.call(sweeper.run_once)
    assert _count_named(db, name) == 0
    assert (
        client.post("/api/v1/companies", json={"name": name, "admin": founder()}).status_code == 201
    )


def test_pending_company_is_unusable_and_swept(client, db, users, auth, unique_name):
    name = unique_name()
    now = utcnow()
    company = Company(
        name=name,
        name_key=name.casefold(),
        plan="free",
        status="pending",
        created_at=now - timedelta(minutes=5),
        updated_at=now,
    )
    db.add(company)
    db.commit()
    token = auth(company.id)
    assert client.get(f"/api/v1/companies/{company.id}", headers=token).status_code == 404
    taken = client.post("/api/v1/companies", json={"name": name.upper(), "admin": founder()})
    assert taken.status_code == 409  # the pending company holds its name
    sweeper = FoundingSweeper(
        client.app.state.runtime.db, client.app.state.runtime.founders, 0, grace_seconds=60
    )
    assert client.portal.call(sweeper.run_once) >= 1
    assert company.id in users.cancelled
    assert _count_named(db, name) == 0
