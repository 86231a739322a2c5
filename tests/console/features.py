"""Which contract parts the stack under test serves, read from its own OpenAPI.

The console is built for revision 2 (a company created with its admin, invitations, the
media pipeline); while those parts are still on other branches, the walk uses what the
stack has and says what it left out (a skip reason), never a silent pass.
"""

from __future__ import annotations

from dataclasses import dataclass

import requests


@dataclass(frozen=True)
class Features:
    company_with_admin: bool
    invitations: bool
    media_pipeline: bool

    @classmethod
    def of(cls, gateway: str) -> Features:
        def spec(name: str) -> dict:  # type: ignore[type-arg]
            resp = requests.get(f"{gateway}/openapi/{name}.json", timeout=10)
            resp.raise_for_status()
            return resp.json()  # type: ignore[no-any-return]

        company, user, video = spec("company"), spec("user"), spec("video")
        create = company.get("components", {}).get("schemas", {}).get("CompanyCreate", {})
        return cls(
            company_with_admin="admin" in create.get("properties", {}),
            # In user-service's OpenAPI and routed by the gateway (nginx's own 404 otherwise).
            invitations="/api/v1/invitations" in user.get("paths", {})
            and requests.get(f"{gateway}/api/v1/invitations", timeout=10).status_code == 401,
            media_pipeline=any(path.endswith("/events") for path in video.get("paths", {})),
        )
