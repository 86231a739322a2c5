"""GET /internal/v1/companies/{id}: service token only; deactivated companies included."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import update

from company_service.models import Company

INTERNAL_TOKEN = "company-tests-internal-token"
SERVICE = {"Authorization": f"Bearer {INTERNAL_TOKEN}"}


@pytest.mark.parametrize(
    "headers",
    [
        pytest.param({}, id="missing"),
        pytest.param({"Authorization": "Bearer wrong"}, id="wrong"),
        pytest.param({"Authorization": f"Bearer {INTERNAL_TOKEN}x"}, id="longer"),
        pytest.param({"Authorization": f"Basic {INTERNAL_TOKEN}"}, id="basic scheme"),
        pytest.param({"Authorization": "Bearer"}, id="empty"),
    ],
)
def test_needs_the_service_token(client, new_company, headers):
    company = new_company()
    response = client.get(f"/internal/v1/companies/{company['id']}", headers=headers)
    assert response.status_code == 401
    assert response.json()["code"] == "UNAUTHORIZED"


def test_a_user_token_is_not_a_service_token(client, new_company, auth):
    company = new_company()
    response = client.get(f"/internal/v1/companies/{company['id']}", headers=auth(company["id"]))
    assert response.status_code == 401


def test_bad_token_beats_bad_id(client):
    assert client.get("/internal/v1/companies/abc").status_code == 401


def test_reads_an_active_company(client, new_company):
    company = new_company()
    response = client.get(f"/internal/v1/companies/{company['id']}", headers=SERVICE)
    assert response.status_code == 200
    assert response.json() == {
        "id": company["id"],
        "name": company["name"],
        "status": "active",
        "plan": "free",
        "plan_expires_at": None,
        "effective_plan": "free",
    }


def test_reports_the_effective_plan(client, new_company, db):
    company = new_company()
    expired = datetime.now(UTC) - timedelta(seconds=1)
    db.execute(
        update(Company)
        .where(Company.id == company["id"])
        .values(plan="paid", plan_expires_at=expired)
    )
    db.commit()
    body = client.get(f"/internal/v1/companies/{company['id']}", headers=SERVICE).json()
    assert (body["plan"], body["effective_plan"]) == ("paid", "free")


def test_reports_paid_plans(client, new_company, auth):
    company = new_company()
    expires = (datetime.now(UTC) + timedelta(days=1)).isoformat()
    client.put(
        f"/api/v1/companies/{company['id']}/plan",
        headers=auth(company["id"]),
        json={"plan": "paid", "expires_at": expires},
    )
    body = client.get(f"/internal/v1/companies/{company['id']}", headers=SERVICE).json()
    assert (body["plan"], body["effective_plan"]) == ("paid", "paid")


def test_reports_deactivated_companies(client, new_company, auth):
    company = new_company()
    client.delete(f"/api/v1/companies/{company['id']}", headers=auth(company["id"]))
    response = client.get(f"/internal/v1/companies/{company['id']}", headers=SERVICE)
    assert response.status_code == 200
    assert response.json()["status"] == "inactive"


@pytest.mark.parametrize("company_id", ["987654321", "0", "-1", "99999999999999999999"])
def test_unknown_is_404(client, company_id):
    response = client.get(f"/internal/v1/companies/{company_id}", headers=SERVICE)
    assert response.status_code == 404
    assert response.json()["code"] == "NOT_FOUND"


def test_non_integer_id_is_422(client):
    assert client.get("/internal/v1/companies/abc", headers=SERVICE).status_code == 422
