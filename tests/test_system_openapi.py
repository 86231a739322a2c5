"""Schemathesis (`--checks all`) against the public OpenAPI of each service, through the
gateway of the test stack, as a fresh company's admin.

Bounded by tests/schemathesis/schemathesis.toml (examples per operation, stateful steps),
seeded and deterministic. One exclusion, by name:

* ensure_resource_availability: `POST /api/v1/companies` creates a company for another
  tenant (with its own admin); the test's token may not read it, and tenancy answers 404
  for it, exactly as for an unknown id. The check cannot hold under tenancy.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.client import Api

CONFIG = Path(__file__).parent / "schemathesis" / "schemathesis.toml"
# Not run: see the module docstring.
EXCLUDED_CHECKS = ["ensure_resource_availability"]
SPECS = ["company", "user", "video"]


# Opt-in until the schemas state every rule the validators apply: the last run still found
# 7 failures (README, "Schemathesis"); MEDIA_TEST_SCHEMATHESIS=1 ./scripts/test runs it.
@pytest.mark.skipif(
    os.environ.get("MEDIA_TEST_SCHEMATHESIS") != "1",
    reason="schemathesis is opt-in (MEDIA_TEST_SCHEMATHESIS=1): 7 known failures left",
)
@pytest.mark.parametrize("spec", SPECS)
def test_openapi_tells_the_truth(api: Api, spec: str) -> None:
    _, admin = api.company_with_admin()
    schemathesis = Path(sys.executable).with_name("schemathesis")
    command = [
        str(schemathesis),
        "--config-file",
        str(CONFIG),
        "--no-color",
        "run",
        f"{api.base}/openapi/{spec}.json",
        "--url",
        api.base,
        "--checks",
        "all",
        "--exclude-checks",
        ",".join(EXCLUDED_CHECKS),
    ]
    env = {**os.environ, "MEDIA_ST_TOKEN": admin.access_token}
    result = subprocess.run(
        command, env=env, capture_output=True, text=True, timeout=300, check=False
    )
    assert result.returncode == 0, result.stdout[-20000:] + result.stderr[-2000:]
