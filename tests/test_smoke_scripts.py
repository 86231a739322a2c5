"""The smoke scripts (scripts/smoke-*.sh) pass against the test stack's gateway."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest

SCRIPTS = Path(__file__).resolve().parents[1] / "scripts"
STEP_LINE = re.compile(r"^ok   (?P<step>[a-z0-9-]+) \((HTTP (?P<status>\d{3}), \d+ ms|.*)\)$")

EXPECTED_STEPS = {
    "company": [
        "create-company", "login", "get-company", "rename-company",
        "set-paid-plan", "effective-plan-paid", "set-free-plan", "deactivate-company",
        "login-refused",
    ],
    "user": [
        "create-company", "login-admin", "invite-member", "signup-member", "login-member",
        "refresh", "old-refresh-refused", "users-me", "list-users-admin",
        "list-users-member-forbidden", "patch-name", "points", "logout",
        "logged-out-refresh-refused", "delete-member", "member-login-refused",
    ],
    "video": [
        "create-company", "login", "upload-video", "list-videos",
        "range-stream", "range-not-satisfiable", "playback-url", "playback-stream", "soft-delete",
        "deleted-is-hidden", "restore-refused-on-free", "upgrade-plan", "restore",
        "stream-again", "points-credited",
    ],
    "media": [
        "create-company", "login", "upload-video", "video-ready", "playback-urls",
        "hls-master", "hls-rendition", "hls-segment", "thumbnail",
    ],
}  # fmt: skip


@pytest.fixture(scope="module")
def gateway() -> str:
    url = os.environ.get("MEDIA_TEST_GATEWAY")
    if not url:
        pytest.fail("MEDIA_TEST_GATEWAY is not set: run the smoke-script tests with ./scripts/test")
    return url


def run_smoke(name: str, gateway: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "BASE_URL": gateway}
    return subprocess.run(
        ["bash", str(SCRIPTS / f"smoke-{name}.sh")],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


@pytest.mark.parametrize("name", sorted(EXPECTED_STEPS))
def test_smoke_script_passes(name: str, gateway: str) -> None:
    result = run_smoke(name, gateway)
    report = f"stdout:\n{result.stdout}\nstderr:\n{result.stderr}"
    assert result.returncode == 0, f"smoke-{name}.sh failed\n{report}"
    lines = result.stdout.splitlines()
    steps = [m["step"] for line in lines if (m := STEP_LINE.match(line))]
    assert steps == EXPECTED_STEPS[name], report
    assert lines[-1].startswith("ok   all "), report


def test_smoke_script_fails_loudly_on_an_unreachable_gateway() -> None:
    result = subprocess.run(
        ["bash", str(SCRIPTS / "smoke-company.sh")],
        env={**os.environ, "BASE_URL": "http://127.0.0.1:9", "SMOKE_TIMEOUT": "5"},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode != 0
    assert "FAIL create-company" in result.stderr
