"""Helpers for testing code that uses gemgate: a fake clock and a client on a local emulator.

::

    from gemgate.testing import emulated_client

    async with emulated_client() as (client, emulator):
        result = await client.generate("hello")
        assert emulator.stats()["requests_total"] == 1
"""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from gemgate.client import GeminiAPIClient
from gemgate.clock import FakeClock
from gemgate.config import load_settings
from gemgate.credentials import Secret
from gemgate.emulator import EmulatorConfig, EmulatorServer

__all__ = ["FakeClock", "emulated_client"]


@asynccontextmanager
async def emulated_client(
    emulator: EmulatorConfig | None = None, *, api_key: str = "test-key", **settings: Any
) -> AsyncIterator[tuple[GeminiAPIClient, EmulatorServer]]:
    """A client wired to a fresh emulator on 127.0.0.1; ``settings`` replace default settings."""
    base = dataclasses.replace(load_settings(None, env={}), **settings)
    async with (
        EmulatorServer(emulator or EmulatorConfig()) as emu,
        GeminiAPIClient.from_settings(base, Secret(api_key), base_url=emu.base_url) as client,
    ):
        yield client, emu
