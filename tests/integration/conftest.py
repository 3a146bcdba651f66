"""The cross-process tests use the shared Redis of tests/conftest.py."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def shared_redis_url(redis_url: str) -> str:
    return redis_url
