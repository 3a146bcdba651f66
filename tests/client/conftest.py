"""Fixtures: a real emulator on 127.0.0.1 and a client pointed at it."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

import pytest

from gemgate.client import GeminiAPIClient
from gemgate.clock import Clock
from gemgate.config import load_settings
from gemgate.config.settings import TransportSettings
from gemgate.credentials import Secret
from gemgate.emulator import EmulatorConfig, EmulatorServer, FaultRule
from gemgate.ratelimit import RateLimiter

ClientFactory = Callable[..., Any]


@asynccontextmanager
async def running(
    *faults: FaultRule,
    clock: Clock | None = None,
    read_timeout_s: float = 10.0,
    key: str = "test-key",
    config: EmulatorConfig | None = None,
    limiter: RateLimiter | None = None,
    **settings: Any,
) -> AsyncIterator[tuple[GeminiAPIClient, EmulatorServer]]:
    """An emulator with ``faults`` and a client on it (settings replaced by ``settings``)."""
    cfg = config or EmulatorConfig(faults=faults)
    base = load_settings(None, env={})
    transport = TransportSettings(read_timeout_s=read_timeout_s, connect_timeout_s=2.0)
    base = dataclasses.replace(base, transport=transport, **settings)
    async with (
        EmulatorServer(cfg) as emu,
        GeminiAPIClient.from_settings(
            base, Secret(key), base_url=emu.base_url, clock=clock, limiter=limiter
        ) as c,
    ):
        yield c, emu


@pytest.fixture
def emulated() -> Callable[..., Any]:
    return running
