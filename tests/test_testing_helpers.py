"""gemgate.testing: the helpers users get for their own tests work as documented."""

import asyncio

from gemgate.emulator import EmulatorConfig, FaultRule
from gemgate.testing import FakeClock, emulated_client


async def test_emulated_client_serves_a_request_from_a_fresh_emulator() -> None:
    async with emulated_client() as (client, emulator):
        result = await client.generate("hello")
        assert emulator.stats()["requests_total"] == 1
    assert result.text
    assert result.attempts == 1


async def test_emulated_client_takes_an_emulator_config_and_settings() -> None:
    config = EmulatorConfig(faults=(FaultRule("status", status=503, count=1),))
    async with emulated_client(config, concurrency=2) as (client, emulator):
        result = await client.generate("hello")
        assert emulator.stats()["by_status"] == {"503": 1, "200": 1}
    assert result.attempts == 2
    assert client.settings.concurrency == 2


async def test_the_fake_clock_moves_only_when_told() -> None:
    clock = FakeClock()
    await clock.sleep(1.5)
    clock.advance(0.5)
    assert clock.monotonic() == 2.0
    assert clock.sleeps == [1.5]


async def test_a_cancelled_sleep_on_a_manual_fake_clock_leaves_nothing_behind() -> None:
    clock = FakeClock(autojump=False)
    naps = [asyncio.ensure_future(clock.sleep(10.0)) for _ in range(100)]
    await asyncio.sleep(0)
    for nap in naps[1:]:
        nap.cancel()
    await asyncio.gather(*naps[1:], return_exceptions=True)
    assert len(clock._sleepers) == 1  # only the nap still waiting
    clock.advance(10.0)
    await naps[0]
    assert clock._sleepers == []
