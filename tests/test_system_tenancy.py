"""Another company's resources answer 404 for every verb, exactly as if absent."""

from __future__ import annotations

from tests.support.client import Api, assert_error, unique


def test_cross_tenant_companies_users_and_videos_are_404(api: Api) -> None:
    company_a, admin_a = api.company_with_admin()
    member_a = api.member(company_a["id"])
    _, admin_b = api.company_with_admin()
    video_a = api.upload(admin_a)
    h = admin_b.headers
    cid, uid, vid = company_a["id"], member_a.id, video_a["id"]
    calls = [
        ("GET", f"/api/v1/companies/{cid}", None),
        ("PATCH", f"/api/v1/companies/{cid}", {"name": unique("steal")}),
        ("PUT", f"/api/v1/companies/{cid}/plan", {"plan": "free"}),
        ("DELETE", f"/api/v1/companies/{cid}", None),
        ("GET", f"/api/v1/users/{uid}", None),
        ("PATCH", f"/api/v1/users/{uid}", {"role": "admin"}),
        ("DELETE", f"/api/v1/users/{uid}", None),
        ("GET", f"/api/v1/videos/{vid}", None),
        ("PATCH", f"/api/v1/videos/{vid}", {"title": "mine now"}),
        ("DELETE", f"/api/v1/videos/{vid}", None),
        ("POST", f"/api/v1/videos/{vid}/restore", None),
        ("GET", f"/api/v1/videos/{vid}/stream", None),
        ("HEAD", f"/api/v1/videos/{vid}/stream", None),
        ("POST", f"/api/v1/videos/{vid}/playback", None),
    ]
    for method, path, body in calls:
        resp = api.request(method, path, headers=h, json=body)
        if method == "HEAD":
            assert resp.status_code == 404, path
        else:
            assert_error(resp, 404, "NOT_FOUND")
    # Nothing changed for the owner.
    assert api.get(f"/api/v1/videos/{vid}", headers=admin_a.headers).json()["title"] == "A video"
    assert api.get(f"/api/v1/users/{uid}", headers=admin_a.headers).json()["role"] == "member"
    listed = api.get("/api/v1/users", headers=h).json()
    assert all(u["company_id"] == admin_b.company_id for u in listed["items"])
