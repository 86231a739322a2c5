"""The async TokenVerifier: keys from configuration, the JWKS on an unknown kid (at most
once per refetch interval), the memory of verified tokens (until `exp`, never for a token
differing in a byte), and a withdrawn key forgetting what it verified."""

from __future__ import annotations

import asyncio
import json
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

import pytest

from media_common.auth import TokenVerifier, VerifiedTokens
from media_common.errors import ServiceUnavailable, Unauthorized
from media_common.testing import JwksServer
from media_common.testing_http import LoopbackServer, answer_json

DEAD_JWKS = "http://127.0.0.1:9/jwks.json"
ISS = AUD = "media-resource"


class CountingJwks:
    """A JWKS endpoint serving the keys of some JwksServers, counting its readers."""

    def __init__(self, *servers: JwksServer) -> None:
        self.servers = list(servers)
        self.reads = 0
        self._http = LoopbackServer(self._answer, ("GET",))
        self.url = f"{self._http.url}/jwks.json"

    def _answer(self, request: BaseHTTPRequestHandler) -> None:
        self.reads += 1
        keys = [k for s in self.servers for k in json.loads(s.body)["keys"]]
        answer_json(request, 200, {"keys": keys})

    def close(self) -> None:
        self._http.close()


def _jwks_file(tmp_path: Path, *servers: JwksServer) -> str:
    keys: list[Any] = []
    for server in servers:
        keys.extend(json.loads(server.body)["keys"])
    path = tmp_path / "jwks.json"
    path.write_text(json.dumps({"keys": keys}), encoding="utf-8")
    return str(path)


def test_keys_from_the_file_verify_without_any_jwks_endpoint(tmp_path: Path) -> None:
    old, new, stranger = JwksServer(), JwksServer(), JwksServer()

    async def scenario() -> None:
        verifier = TokenVerifier(
            DEAD_JWKS, ISS, AUD, timeout=0.5, public_keys_file=_jwks_file(tmp_path, old, new)
        )
        assert (await verifier.verify(old.mint(1, 2, "admin"))).user_id == 1
        assert (await verifier.verify(new.mint(3, 4))).company_id == 4
        # a kid the file does not know, and user-service unreachable: cannot tell, 503
        with pytest.raises(ServiceUnavailable):
            await verifier.verify(stranger.mint(5, 6))

    try:
        asyncio.run(scenario())
    finally:
        for server in (old, new, stranger):
            server.close()


def test_an_unknown_kid_reads_the_jwks_at_most_once_per_interval(tmp_path: Path) -> None:
    configured, rotated, forger = JwksServer(), JwksServer(), JwksServer()
    jwks = CountingJwks(rotated)

    async def scenario() -> None:
        verifier = TokenVerifier(
            jwks.url, ISS, AUD, public_keys_file=_jwks_file(tmp_path, configured),
            refetch_seconds=3600,
        )  # fmt: skip
        assert (await verifier.verify(rotated.mint(7, 8))).user_id == 7  # fetched
        assert jwks.reads == 1
        for _ in range(20):  # made-up kids: refused without asking user-service again
            with pytest.raises(Unauthorized):
                await verifier.verify(forger.mint(9, 10))
        assert jwks.reads == 1
        forged = configured.mint(9, 10).rsplit(".", 1)[0] + ".AAAA"
        with pytest.raises(Unauthorized):
            await verifier.verify(forged)

    try:
        asyncio.run(scenario())
    finally:
        jwks.close()
        for server in (configured, rotated, forger):
            server.close()


def test_a_verified_token_is_remembered_until_it_expires(tmp_path: Path) -> None:
    server = JwksServer()

    async def scenario() -> None:
        verifier = TokenVerifier(DEAD_JWKS, ISS, AUD, public_keys_file=_jwks_file(tmp_path, server))
        token = server.mint(1, 2, "admin")
        first = await verifier.verify(token)
        assert await verifier.verify(token) is first  # no second signature check
        header, payload, signature = token.split(".")
        for tampered in (f"{header}.{payload}.{signature[:-2]}AA", token + "x"):
            with pytest.raises(Unauthorized):
                await verifier.verify(tampered)
        expired = server.mint(1, 2, ttl=-1)
        with pytest.raises(Unauthorized, match="expired"):
            await verifier.verify(expired)

    try:
        asyncio.run(scenario())
    finally:
        server.close()


def test_the_memory_forgets_at_exp_and_beyond_its_size() -> None:
    clock = [1000.0]
    memory = VerifiedTokens(size=2, clock=lambda: clock[0])
    payload = {"sub": "1", "company_id": 2, "role": "member", "jti": "j", "exp": 1010}
    memory.put("a", payload)
    assert memory.get("a") is not None
    clock[0] = 1010
    assert memory.get("a") is None
    clock[0] = 1000
    for token in ("a", "b", "c"):
        memory.put(token, payload)
    assert memory.get("a") is None and memory.get("c") is not None


def test_a_withdrawn_key_is_forgotten_with_what_it_verified() -> None:
    kept, withdrawn = JwksServer(), JwksServer()
    jwks = CountingJwks(kept, withdrawn)

    async def scenario() -> None:
        verifier = TokenVerifier(jwks.url, ISS, AUD, refetch_seconds=0)
        token = withdrawn.mint(1, 2)
        assert (await verifier.verify(token)).user_id == 1
        jwks.servers.remove(withdrawn)
        await verifier.verify(kept.mint(3, 4))  # still known: no fetch
        verifier._published_at -= 10_000  # the published keys are due for a re-read
        await verifier.verify(kept.mint(3, 4))
        with pytest.raises(Unauthorized):
            await verifier.verify(token)

    try:
        asyncio.run(scenario())
    finally:
        jwks.close()
        kept.close()
        withdrawn.close()
