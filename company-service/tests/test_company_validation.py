"""Bad input answers 422 (or 404 for ids that cannot exist) in the error shape, never 500."""

from __future__ import annotations

import json
import secrets
from datetime import UTC, datetime, timedelta

import pytest
from company_fakes import founder

ERROR_KEYS = {"code", "message", "details", "request_id"}


def assert_422(response) -> None:
    assert response.status_code == 422, response.text
    body = response.json()
    assert set(body) == ERROR_KEYS
    assert body["code"] == "VALIDATION_ERROR"


BAD_NAMES = [
    pytest.param("", id="empty"),
    pytest.param("   \t ", id="whitespace only"),
    pytest.param("x" * 101, id="101 chars"),
    pytest.param("Acme\x00Corp", id="NUL"),
    pytest.param("Acme\nCorp", id="newline"),
    pytest.param("Acme\x1bCorp", id="escape"),
    pytest.param("Acme\x85Corp", id="C1 control"),
    pytest.param("Acme\ud800Corp", id="lone surrogate"),
    pytest.param("Acme\u202eproC", id="bidi override"),
    pytest.param("Acme\ue000", id="private use"),
    pytest.param("Acme\u2028Corp", id="line separator"),
    pytest.param("Acme\u200bCorp", id="zero-width space"),
    pytest.param("\ufeffAcme", id="BOM"),
    pytest.param("Acme\u2066Corp", id="bidi isolate"),
    pytest.param("x" * 100_000, id="huge"),
    pytest.param(123, id="number"),
    pytest.param(None, id="null"),
    pytest.param(["Acme"], id="list"),
    pytest.param({"n": "Acme"}, id="object"),
    pytest.param(True, id="bool"),
]


def as_json(body: object) -> dict:
    # json.dumps escapes lone surrogates ("\\ud800"), which httpx's encoder refuses to send.
    return {"content": json.dumps(body), "headers": {"Content-Type": "application/json"}}


@pytest.mark.parametrize("name", BAD_NAMES)
def test_bad_names_on_create(client, name):
    assert_422(client.post("/api/v1/companies", **as_json({"name": name, "admin": founder()})))


@pytest.mark.parametrize("name", BAD_NAMES)
def test_bad_names_on_rename(client, new_company, auth, name):
    company = new_company()
    request = as_json({"name": name})
    request["headers"].update(auth(company["id"]))
    assert_422(client.patch(f"/api/v1/companies/{company['id']}", **request))


def test_name_limits_count_after_stripping(client, unique_name):
    name = unique_name("N")
    exactly_100 = name + "x" * (100 - len(name))
    response = client.post(
        "/api/v1/companies", json={"name": f"   {exactly_100}   ", "admin": founder()}
    )
    assert response.status_code == 201
    assert response.json()["name"] == exactly_100
    one_char = chr(0x4E00 + secrets.randbelow(0x5200))  # a random CJK ideograph
    assert (
        client.post("/api/v1/companies", json={"name": one_char, "admin": founder()}).status_code
        == 201
    )


def test_unicode_names_are_welcome(client, unique_name):
    for prefix in ("Société Générale", "株式会社", "Ōkami 🐺", "שלום"):
        response = client.post(
            "/api/v1/companies", json={"name": unique_name(prefix), "admin": founder()}
        )
        assert response.status_code == 201, prefix


@pytest.mark.parametrize(
    "content",
    [b"{", b"not json", b"", b"[]", b'"name"', b"null", b'{"name": "a", "name": }'],
)
def test_garbage_bodies(client, content):
    response = client.post(
        "/api/v1/companies", content=content, headers={"Content-Type": "application/json"}
    )
    assert_422(response)


def test_unknown_fields_are_refused(client, unique_name):
    assert_422(
        client.post(
            "/api/v1/companies", json={"name": unique_name(), "plan": "paid", "admin": founder()}
        )
    )
    assert_422(client.post("/api/v1/companies", json={}))


@pytest.mark.parametrize("bad_id", ["abc", "1.5", "1e3", "%00", "9" * 5000])
def test_non_integer_ids_are_422(client, auth, bad_id):
    assert_422(client.get(f"/api/v1/companies/{bad_id}", headers=auth(1)))


@pytest.mark.parametrize("bad_id", ["99999999999999999999", "-1", "0", "9223372036854775808"])
def test_impossible_ids_are_404(client, auth, bad_id):
    headers = auth(1)
    for method, suffix, body in [
        ("GET", "", None),
        ("PATCH", "", {"name": "Whatever"}),
        ("PUT", "/plan", {"plan": "free"}),
        ("DELETE", "", None),
        ("GET", "/plan-history", None),
    ]:
        response = client.request(
            method, f"/api/v1/companies/{bad_id}{suffix}", json=body, headers=headers
        )
        assert response.status_code == 404, (method, bad_id, response.text)
        assert response.json()["code"] == "NOT_FOUND"


def plan_url(company: dict) -> str:
    return f"/api/v1/companies/{company['id']}/plan"


@pytest.mark.parametrize(
    "body",
    [
        pytest.param({"plan": "paid"}, id="paid without expiry"),
        pytest.param({"plan": "paid", "expires_at": None}, id="paid with null expiry"),
        pytest.param({"plan": "paid", "expires_at": "2020-01-01T00:00:00+00:00"}, id="past"),
        pytest.param({"plan": "paid", "expires_at": "2999-01-01T00:00:00"}, id="naive"),
        pytest.param({"plan": "paid", "expires_at": "2999-01-01"}, id="date only"),
        pytest.param({"plan": "paid", "expires_at": "tomorrow"}, id="words"),
        pytest.param({"plan": "paid", "expires_at": 4102444800}, id="unix number"),
        pytest.param({"plan": "paid", "expires_at": "9999-12-31T23:59:59-14:00"}, id="overflow"),
        pytest.param({"plan": "paid", "expires_at": "0001-01-01T00:00:00+14:00"}, id="underflow"),
        pytest.param({"plan": "paid", "expires_at": "2999-02-30T00:00:00Z"}, id="no such day"),
        pytest.param({"plan": "free", "expires_at": "2999-01-01T00:00:00Z"}, id="free w/ expiry"),
        pytest.param({"plan": "gold"}, id="unknown plan"),
        pytest.param({"plan": "PAID", "expires_at": "2999-01-01T00:00:00Z"}, id="uppercase"),
        pytest.param({}, id="empty"),
        pytest.param({"plan": None}, id="null plan"),
        pytest.param({"plan": "free", "extra": 1}, id="unknown field"),
        pytest.param([], id="list"),
        pytest.param("free", id="string"),
    ],
)
def test_bad_plan_changes(client, new_company, auth, body):
    company = new_company()
    assert_422(client.put(plan_url(company), headers=auth(company["id"]), json=body))


def test_expiry_just_passed_is_refused(client, new_company, auth):
    company = new_company()
    just_now = (datetime.now(UTC) - timedelta(seconds=1)).isoformat()
    body = {"plan": "paid", "expires_at": just_now}
    response = client.put(plan_url(company), headers=auth(company["id"]), json=body)
    assert_422(response)
    assert response.json()["details"][0]["loc"] == ["body", "expires_at"]


def test_far_future_expiry_is_fine(client, new_company, auth):
    company = new_company()
    response = client.put(
        plan_url(company),
        headers=auth(company["id"]),
        json={"plan": "paid", "expires_at": "9999-12-31T23:59:59+00:00"},
    )
    assert response.status_code == 200
    assert response.json()["plan_expires_at"] == "9999-12-31T23:59:59+00:00"


def test_free_with_null_expiry_is_fine(client, new_company, auth):
    company = new_company()
    response = client.put(
        plan_url(company), headers=auth(company["id"]), json={"plan": "free", "expires_at": None}
    )
    assert response.status_code == 200


@pytest.mark.parametrize(
    "query",
    [
        "limit=0",
        "limit=101",
        "limit=-1",
        "offset=-1",
        "limit=abc",
        "offset=1e99",
        "offset=99999999999999999999",
    ],
)
def test_bad_pagination(client, new_company, auth, query):
    company = new_company()
    response = client.get(
        f"/api/v1/companies/{company['id']}/plan-history?{query}", headers=auth(company["id"])
    )
    assert_422(response)


def test_large_offset_is_an_empty_page(client, new_company, auth):
    company = new_company()
    response = client.get(
        f"/api/v1/companies/{company['id']}/plan-history?offset=9223372036854775807&limit=100",
        headers=auth(company["id"]),
    )
    assert response.status_code == 200
    assert response.json()["items"] == []
