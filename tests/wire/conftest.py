"""Fixtures shared by the wire tests."""

from __future__ import annotations

import pytest


@pytest.fixture
def fake_api_key() -> str:
    """A string shaped like a Google API key (``AIza`` + 35 characters), built at run time.

    Built here rather than written out so that no key-shaped literal sits in the repository for
    secret scanners to flag.
    """
    return "AIza" + ("Fake_Key-0123456789" * 2)[:35]
