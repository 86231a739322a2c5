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
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jsonschema_rs
import pytest
import requests

from tests.support.client import Api

CONFIG = Path(__file__).parent / "schemathesis" / "schemathesis.toml"
# Not run: see the module docstring.
EXCLUDED_CHECKS = ["ensure_resource_availability"]
SPECS = ["company", "user", "video"]


def _patterns(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        if isinstance(node.get("pattern"), str):
            yield node["pattern"]
        for value in node.values():
            yield from _patterns(value)
    elif isinstance(node, list):
        for item in node:
            yield from _patterns(item)


@pytest.mark.parametrize("spec", SPECS)
def test_every_pattern_compiles_in_a_json_schema_engine(api: Api, spec: str) -> None:
    """A pattern that Rust's regex (jsonschema-rs, schemathesis' validator) cannot compile
    is dropped by test generators: the schema then no longer states the rule."""
    document = requests.get(f"{api.base}/openapi/{spec}.json", timeout=10).json()
    patterns = set(_patterns(document))
    assert patterns
    refused = []
    for pattern in patterns:
        try:
            jsonschema_rs.validator_for({"type": "string", "pattern": pattern})
        except jsonschema_rs.ValidationError:
            refused.append(pattern[:80])
    assert refused == []


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
    assert result.returncode == 0, _shortened(result.stdout) + result.stderr[-2000:]


def _shortened(report: str, width: int = 400) -> str:
    """Schemathesis' report with each line cut to `width` (a generated 4 KB value would
    otherwise push the failure's name out of the message)."""
    return "\n".join(
        line if len(line) <= width else line[:width] + "…" for line in report.splitlines()
    )
