"""The client's rate limiter must apply to a model however the caller spells its name, and to
every request that reaches the service (retries included)."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from gemgate.client import GeminiAPIClient
from gemgate.clock import FakeClock
from gemgate.config import LimitRule, load_settings
from gemgate.config.settings import TransportSettings
from gemgate.credentials import Secret
from gemgate.emulator import EmulatorConfig, EmulatorServer, FaultRule
from gemgate.ratelimit import RateLimiter

from .conftest import running


async def test_a_model_spelled_with_its_resource_prefix_is_still_rate_limited(
    tmp_path: Path,
) -> None:
    """rpm = 1: the second request within the minute must wait. The catalog (and the cost) treat
    ``models/gemini-2.5-flash`` as ``gemini-2.5-flash``; the limiter is keyed by the bare
    catalog name only, so the prefixed spelling (which the URL builder also accepts) is never
    limited."""
    toml = tmp_path / "gemgate.toml"
    toml.write_text('[models."gemini-2.5-flash"]\nrpm = 1\n', encoding="utf-8")
    settings = load_settings(toml, env={})
    settings = dataclasses.replace(settings, transport=TransportSettings(read_timeout_s=5.0))
    clock = FakeClock()
    async with (
        EmulatorServer(EmulatorConfig()) as emu,
        GeminiAPIClient.from_settings(
            settings, Secret("k"), base_url=emu.base_url, clock=clock
        ) as c,
    ):
        first = await c.generate("one", model="gemini-2.5-flash")
        second = await c.generate("two", model="models/gemini-2.5-flash")
    assert first.throttled_ms == 0
    assert second.throttled_ms > 0, "the second request of an rpm=1 model was not throttled"


async def test_retries_take_their_turn_under_the_client_rate_limit() -> None:
    """Client limit == server limit (2 requests / 1 s). The first call is answered with a
    truncated 200 (which the service counts) and retried. The retry is a second request that the
    client's limiter never saw, so the next call goes straight out and meets a 429."""
    model = "gemini-2.5-flash"
    limiter = RateLimiter({model: [LimitRule("requests", 2, 1.0)]})
    cfg = EmulatorConfig(rpm=2, window_s=1.0, faults=(FaultRule("truncate", count=1),))
    async with running(config=cfg, limiter=limiter) as (client, emu):
        first = await client.generate("one", model=model)
        second = await client.generate("two", model=model)
        stats = emu.stats()
    assert first.attempts == 2
    assert second.text
    assert stats["rate_limited"] == 0, f"the client provoked {stats['rate_limited']} 429(s)"
