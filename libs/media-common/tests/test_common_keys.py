"""Public keys from configuration (JWT_PUBLIC_KEYS_FILE) and key rotation by kid."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from media_common.auth import TokenVerifier
from media_common.errors import ServiceUnavailable, Unauthorized
from media_common.testing import JwksServer

DEAD_JWKS = "http://127.0.0.1:9/jwks.json"


def _jwks_file(tmp_path: Path, *servers: JwksServer) -> str:
    keys = []
    for server in servers:
        keys.extend(json.loads(server.body)["keys"])
    path = tmp_path / "jwks.json"
    path.write_text(json.dumps({"keys": keys}), encoding="utf-8")
    return str(path)


def test_keys_from_the_file_verify_without_any_jwks_endpoint(tmp_path: Path) -> None:
    old, new = JwksServer(), JwksServer()
    try:
        verifier = TokenVerifier(
            DEAD_JWKS, "media-resource", "media-resource", timeout=0.5,
            public_keys_file=_jwks_file(tmp_path, old, new),
        )  # fmt: skip
        # two keys at once (a rotation in progress), told apart by kid
        assert verifier.verify(old.mint(1, 2, "admin")).user_id == 1
        assert verifier.verify(new.mint(3, 4)).company_id == 4
        # a kid the file does not know, and user-service unreachable: cannot tell, 503
        stranger = JwksServer()
        with pytest.raises(ServiceUnavailable):
            verifier.verify(stranger.mint(5, 6))
        stranger.close()
    finally:
        old.close()
        new.close()


def test_an_unknown_kid_refreshes_from_the_jwks(tmp_path: Path) -> None:
    configured, rotated = JwksServer(), JwksServer()
    try:
        verifier = TokenVerifier(
            rotated.url, "media-resource", "media-resource",
            public_keys_file=_jwks_file(tmp_path, configured),
        )  # fmt: skip
        assert verifier.verify(rotated.mint(7, 8)).user_id == 7  # fetched: not in the file
        forged = configured.mint(9, 10).rsplit(".", 1)[0] + ".AAAA"
        with pytest.raises(Unauthorized):
            verifier.verify(forged)
    finally:
        configured.close()
        rotated.close()
