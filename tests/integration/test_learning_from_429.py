"""A 429 teaches every process that shares the limiter's Redis."""

from __future__ import annotations

import asyncio
import dataclasses
import time
import uuid

import pytest

from gemgate.client import GeminiAPIClient
from gemgate.config import LimitSettings, Settings, load_settings
from gemgate.credentials import Secret
from gemgate.emulator import EmulatorConfig, EmulatorServer, FaultRule
from gemgate.errors import DailyQuotaExhausted
from gemgate.observability import AttemptFailed


def settings_for(redis_url: str) -> Settings:
    return dataclasses.replace(
        load_settings(None, env={}), limits=LimitSettings(redis_url=redis_url, fail="closed")
    )


async def test_a_per_minute_429_pauses_the_model_for_another_process(
    shared_redis_url: str,
) -> None:
    key = Secret(f"learn-{uuid.uuid4().hex}")  # one key: one scope in Redis for both clients
    fault = FaultRule("status", status=429, retry_delay_s=1.0, count=1)
    settings = settings_for(shared_redis_url)
    async with (
        EmulatorServer(EmulatorConfig(faults=(fault,))) as emu,
        GeminiAPIClient.from_settings(settings, key, base_url=emu.base_url) as first,
        GeminiAPIClient.from_settings(settings, key, base_url=emu.base_url) as second,
    ):
        failed = asyncio.Event()  # the first client's attempt met the 429 and paused the model
        first.bus.subscribe(lambda e: failed.set() if isinstance(e, AttemptFailed) else None)
        hitting = asyncio.ensure_future(first.generate("the one that meets the 429"))
        await failed.wait()
        start = time.monotonic()
        other = await second.generate("another process, same key and model")
        waited = time.monotonic() - start
        hit = await hitting
        stats = emu.stats()
    assert hit.attempts == 2
    assert other.attempts == 1  # it waited out the pause instead of meeting a 429 of its own
    assert other.throttled_ms >= 800
    assert waited >= 0.8
    assert stats["by_status"] == {"429": 1, "200": 2}


async def test_a_per_day_429_stops_the_model_until_midnight_pacific(
    shared_redis_url: str,
) -> None:
    key = Secret(f"daily-{uuid.uuid4().hex}")
    fault = FaultRule("status", status=429, quota="day", retry_delay_s=30)
    settings = settings_for(shared_redis_url)
    async with (
        EmulatorServer(EmulatorConfig(faults=(fault,))) as emu,
        GeminiAPIClient.from_settings(settings, key, base_url=emu.base_url) as client,
    ):
        with pytest.raises(DailyQuotaExhausted) as first:
            await client.generate("spends the day")
        for deadline in (5, None):  # refused at once, not parked until midnight
            with pytest.raises(DailyQuotaExhausted) as later:
                await client.generate("not sent before midnight", deadline_s=deadline)
            assert later.value.resets_at is not None
            assert first.value.resets_at is not None
            assert abs((later.value.resets_at - first.value.resets_at).total_seconds()) < 2
            assert later.value.status is None  # refused here; the service was not asked
        assert emu.stats()["requests_total"] == 1
