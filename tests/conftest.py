"""System-test fixtures: the running local stack that `./scripts/test` started."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.client import Api
from tests.support.stack import Stack


@pytest.fixture(scope="session")
def stack() -> Stack:
    gateway = os.environ.get("MEDIA_TEST_GATEWAY")
    stack_dir = os.environ.get("MEDIA_TEST_STACK_DIR")
    if not gateway or not stack_dir:
        pytest.fail("MEDIA_TEST_GATEWAY/MEDIA_TEST_STACK_DIR not set: run ./scripts/test")
    return Stack(gateway=gateway, directory=Path(stack_dir))


@pytest.fixture
def api(stack: Stack) -> Iterator[Api]:
    client = Api(stack.gateway)
    yield client
    client.close()
