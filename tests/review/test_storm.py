"""A 429 storm: requests that fit in the server's capacity within their retry budget should not
fail, and the client should not multiply the load it sends."""

from __future__ import annotations

import asyncio

from gemgate.emulator import EmulatorConfig
from gemgate.errors import RateLimited

from .conftest import running


async def test_a_burst_that_fits_within_the_retry_budget_completes() -> None:
    """40 requests, server limit 5 per 0.25 s: all fit within 2 s, and each may try 5 times
    with waits of at least the server's exact ``retryDelay``. Every waiter is told the same
    instant and the jitter never goes past the hint (``max(jitter, hint)``), so they all wake
    together, one wins each freed unit and the rest burn an attempt: some give up with
    ``RateLimited`` and the service sees about two 429s per request."""
    cfg = EmulatorConfig(rpm=5, window_s=0.25)
    async with running(config=cfg) as (client, emu):
        results = await asyncio.gather(
            *(client.generate(f"question {i}") for i in range(40)), return_exceptions=True
        )
        stats = emu.stats()
    failed = [r for r in results if isinstance(r, RateLimited)]
    assert not failed, f"{len(failed)} of 40 gave up; {stats['rate_limited']} 429s were provoked"
