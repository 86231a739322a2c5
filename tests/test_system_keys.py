"""A video-service replica that starts while user-service is down verifies tokens with the
public keys of its configuration (JWT_PUBLIC_KEYS_FILE), not only the published JWKS."""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import jwt
import pytest
import requests
from cryptography.hazmat.primitives.asymmetric import rsa

from tests.support.client import Api, assert_error, eventually
from tests.support.stack import ROOT, Stack

PRIVATE_PORT = 10_901  # in this worktree's private range; no stack process uses it


def _service_env(stack: Stack, service: str) -> dict[str, str]:
    out = subprocess.run(
        [str(ROOT / "scripts" / "stack"), "env", service],
        env={**os.environ, "STACK_DIR": str(stack.directory)},
        check=True,
        capture_output=True,
        text=True,
        cwd=ROOT,
    ).stdout
    env: dict[str, str] = {}
    for line in out.splitlines():
        key, _, value = line.partition("=")
        env[key] = shlex.split(value)[0] if value else ""
    return env


@contextmanager
def _replica(env: dict[str, str]) -> Iterator[str]:
    uvicorn = Path(sys.executable).with_name("uvicorn")
    process = subprocess.Popen(
        [str(uvicorn), "--factory", "video_service.main:create_app", "--port", str(PRIVATE_PORT)],
        env={**os.environ, **env},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{PRIVATE_PORT}"
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                if requests.get(f"{url}/readyz", timeout=1).ok:
                    break
            except requests.RequestException:
                pass
            if time.monotonic() > deadline or process.poll() is not None:
                pytest.fail("the extra video-service replica did not start")
            time.sleep(0.1)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=15)


def test_replica_started_while_user_service_is_down_verifies_tokens(api: Api, stack: Stack) -> None:
    _, admin = api.company_with_admin()
    kid = jwt.get_unverified_header(admin.access_token)["kid"]
    claims = jwt.decode(admin.access_token, options={"verify_signature": False})
    stranger = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    forged = jwt.encode({**claims, "jti": uuid.uuid4().hex}, stranger, "RS256", {"kid": kid})
    env = _service_env(stack, "video-service")
    # The JWKS URL leads nowhere: the keys can only come from JWT_PUBLIC_KEYS_FILE.
    env["JWKS_URL"] = "http://127.0.0.1:9/api/v1/auth/jwks.json"
    assert Path(env["JWT_PUBLIC_KEYS_FILE"]).is_file()
    stack.stop("user-service")
    try:
        with _replica(env) as url:
            videos = f"{url}/api/v1/videos"
            assert_error(
                requests.get(videos, headers={"Authorization": f"Bearer {forged}"}, timeout=10),
                401,
                "UNAUTHORIZED",
            )
            # A real token is verified with the configured key: the admin's reads work.
            listed = requests.get(videos, headers=admin.headers, timeout=10)
            assert listed.status_code == 200, listed.text
            # Admin authority needs the current state (user-service's access feed): 503.
            trash = requests.get(f"{videos}?deleted=true", headers=admin.headers, timeout=10)
            assert_error(trash, 503, "SERVICE_UNAVAILABLE")
            stack.start("user-service")
            eventually(
                lambda: (
                    requests.get(
                        f"{videos}?deleted=true", headers=admin.headers, timeout=10
                    ).status_code
                    == 200
                ),
                timeout=10,
                what="the access feed after user-service's start",
            )
    finally:
        stack.start("user-service")
