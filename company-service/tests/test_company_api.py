"""Happy paths of the public company API and the contract details around them."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone

from company_fakes import founder

ISO_WITH_OFFSET = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?[+-]\d\d:\d\d$")
COMPANY_KEYS = {
    "id",
    "name",
    "plan",
    "plan_expires_at",
    "effective_plan",
    "created_at",
    "updated_at",
}


def future(days: int = 30) -> str:
    return (datetime.now(UTC) + timedelta(days=days)).isoformat()


def test_create_answers_a_free_company(client, unique_name):
    name = unique_name()
    response = client.post("/api/v1/companies", json={"name": f"  {name}  ", "admin": founder()})
    assert response.status_code == 201
    body = response.json()
    assert set(body) == COMPANY_KEYS | {"admin"}
    assert body["admin"]["company_id"] == body["id"]
    assert body["admin"]["role"] == "admin"
    assert body["name"] == name
    assert body["plan"] == body["effective_plan"] == "free"
    assert body["plan_expires_at"] is None
    assert isinstance(body["id"], int)
    assert ISO_WITH_OFFSET.match(body["created_at"])
    assert ISO_WITH_OFFSET.match(body["updated_at"])
    assert response.headers["x-request-id"]


def test_member_reads_their_company(client, new_company, auth):
    company = new_company()
    url = f"/api/v1/companies/{company['id']}"
    response = client.get(url, headers=auth(company["id"], "member"))
    assert response.status_code == 200
    assert response.json() == company


def test_request_id_is_echoed(client, new_company, auth):
    company = new_company()
    response = client.get(
        f"/api/v1/companies/{company['id']}",
        headers={**auth(company["id"]), "X-Request-ID": "trace-123"},
    )
    assert response.headers["x-request-id"] == "trace-123"


def test_names_are_unique_ignoring_case(client, new_company, unique_name):
    name = unique_name("Globex")
    new_company(name)
    response = client.post("/api/v1/companies", json={"name": name.upper(), "admin": founder()})
    assert response.status_code == 409
    body = response.json()
    assert body["code"] == "CONFLICT"
    assert set(body) == {"code", "message", "details", "request_id"}


def test_names_clash_under_nfkc_case_folding(client, new_company, unique_name):
    suffix = unique_name("")  # " 1f3a…": ASCII letters and digits
    new_company(f"ACME{suffix}")
    fullwidth = "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in f"ａｃｍｅ{suffix}")
    response = client.post("/api/v1/companies", json={"name": fullwidth, "admin": founder()})
    assert response.status_code == 409, response.text
    straße = client.post("/api/v1/companies", json={"name": f"Straße{suffix}", "admin": founder()})
    assert straße.status_code == 201
    strasse = client.post(
        "/api/v1/companies", json={"name": f"STRASSE{suffix}", "admin": founder()}
    )
    assert strasse.status_code == 409


def test_names_equal_after_nfc_normalisation_conflict(client, new_company, unique_name):
    suffix = unique_name("")
    new_company(f"Caf\u00e9{suffix}")
    response = client.post(
        "/api/v1/companies", json={"name": f"Cafe\u0301{suffix}", "admin": founder()}
    )
    assert response.status_code == 409


def test_admin_renames(client, new_company, auth, unique_name):
    company = new_company()
    name = unique_name("Renamed")
    response = client.patch(
        f"/api/v1/companies/{company['id']}", headers=auth(company["id"]), json={"name": name}
    )
    assert response.status_code == 200
    body = response.json()
    assert body["name"] == name
    assert body["updated_at"] > company["updated_at"]
    assert body["created_at"] == company["created_at"]


def test_rename_to_a_case_variant_of_its_own_name(client, new_company, auth):
    company = new_company()
    response = client.patch(
        f"/api/v1/companies/{company['id']}",
        headers=auth(company["id"]),
        json={"name": company["name"].upper()},
    )
    assert response.status_code == 200
    assert response.json()["name"] == company["name"].upper()


def test_rename_to_a_taken_name_conflicts(client, new_company, auth):
    taken = new_company()
    company = new_company()
    response = client.patch(
        f"/api/v1/companies/{company['id']}",
        headers=auth(company["id"]),
        json={"name": taken["name"].lower()},
    )
    assert response.status_code == 409
    assert response.json()["code"] == "CONFLICT"


def test_paid_plan_then_free(client, new_company, auth):
    company = new_company()
    url = f"/api/v1/companies/{company['id']}/plan"
    expires = datetime.now(UTC).replace(microsecond=0) + timedelta(days=30)
    offset = expires.astimezone(timezone(timedelta(hours=2))).isoformat()
    paid = client.put(url, headers=auth(company["id"]), json={"plan": "paid", "expires_at": offset})
    assert paid.status_code == 200
    body = paid.json()
    assert body["plan"] == body["effective_plan"] == "paid"
    assert datetime.fromisoformat(body["plan_expires_at"]) == expires
    assert body["plan_expires_at"].endswith("+00:00")

    free = client.put(url, headers=auth(company["id"]), json={"plan": "free"})
    assert free.status_code == 200
    assert free.json()["plan"] == free.json()["effective_plan"] == "free"
    assert free.json()["plan_expires_at"] is None

    read = client.get(f"/api/v1/companies/{company['id']}", headers=auth(company["id"], "member"))
    assert read.json()["plan"] == "free"


def test_z_suffix_is_accepted(client, new_company, auth):
    company = new_company()
    expires = (datetime.now(UTC) + timedelta(days=3)).strftime("%Y-%m-%dT%H:%M:%SZ")
    response = client.put(
        f"/api/v1/companies/{company['id']}/plan",
        headers=auth(company["id"]),
        json={"plan": "paid", "expires_at": expires},
    )
    assert response.status_code == 200


def test_plan_history_records_each_change(client, new_company, auth):
    company = new_company()
    url = f"/api/v1/companies/{company['id']}/plan"
    admin = auth(company["id"], user_id=42)
    first, second = future(10), future(20)
    client.put(url, headers=admin, json={"plan": "paid", "expires_at": first})
    client.put(url, headers=admin, json={"plan": "paid", "expires_at": second})
    client.put(url, headers=admin, json={"plan": "paid", "expires_at": second})  # no change
    client.put(url, headers=admin, json={"plan": "free"})
    client.put(url, headers=admin, json={"plan": "free"})  # no change

    history = client.get(f"/api/v1/companies/{company['id']}/plan-history", headers=admin)
    assert history.status_code == 200
    page = history.json()
    assert page["total"] == 3
    assert (page["limit"], page["offset"]) == (20, 0)
    newest, middle, oldest = page["items"]
    assert (oldest["from_plan"], oldest["to_plan"]) == ("free", "paid")
    assert (middle["from_plan"], middle["to_plan"]) == ("paid", "paid")
    assert (newest["from_plan"], newest["to_plan"]) == ("paid", "free")
    assert newest["expires_at"] is None
    assert newest["previous_expires_at"] == middle["expires_at"]
    assert {item["changed_by"] for item in page["items"]} == {42}
    assert {item["reason"] for item in page["items"]} == {"changed_by_admin"}

    second_page = client.get(
        f"/api/v1/companies/{company['id']}/plan-history?limit=2&offset=2", headers=admin
    ).json()
    assert [item["id"] for item in second_page["items"]] == [oldest["id"]]
    assert (second_page["total"], second_page["limit"], second_page["offset"]) == (3, 2, 2)


def test_plan_history_is_for_admins(client, new_company, auth):
    company = new_company()
    response = client.get(
        f"/api/v1/companies/{company['id']}/plan-history", headers=auth(company["id"], "member")
    )
    assert response.status_code == 403
    assert response.json()["code"] == "FORBIDDEN"


def test_deactivate(client, new_company, auth, unique_name):
    company = new_company()
    url = f"/api/v1/companies/{company['id']}"
    response = client.delete(url, headers=auth(company["id"]))
    assert response.status_code == 204
    assert response.content == b""
    # The company is gone for its users: every verb answers 404 from now on.
    admin = auth(company["id"])
    assert client.get(url, headers=auth(company["id"], "member")).status_code == 404
    assert client.patch(url, headers=admin, json={"name": unique_name()}).status_code == 404
    assert client.put(f"{url}/plan", headers=admin, json={"plan": "free"}).status_code == 404
    assert client.get(f"{url}/plan-history", headers=admin).status_code == 404
    assert client.delete(url, headers=admin).status_code == 404


def test_deactivated_company_releases_its_name(client, new_company, auth):
    company = new_company()
    client.delete(f"/api/v1/companies/{company['id']}", headers=auth(company["id"]))
    response = client.post("/api/v1/companies", json={"name": company["name"], "admin": founder()})
    assert response.status_code == 201
    assert response.json()["id"] != company["id"]


def test_health_and_docs(client):
    assert client.get("/healthz").json() == {"status": "ok"}
    assert client.get("/readyz").status_code == 200
    assert client.get("/docs/company").status_code == 200
    spec = client.get("/openapi/company.json").json()
    assert "/api/v1/companies/{company_id}/plan" in spec["paths"]
    assert "http_requests_total" in client.get("/metrics").text
