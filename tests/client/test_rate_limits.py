"""Client-side limits against an emulator enforcing the same limits (sliding windows)."""

from __future__ import annotations

import asyncio
import dataclasses
import gc
import time
from typing import Any

from gemgate.client import GeminiAPIClient
from gemgate.clock import FakeClock
from gemgate.config import LimitRule, LimitSettings, load_settings
from gemgate.credentials import Secret
from gemgate.observability import Event, RequestState, StateChanged
from gemgate.queue import Priority
from support import Emulator, running

PROMPT = "Summarise the benefits of exact client-side rate limits in one short paragraph."


async def run_batch(
    n: int, emulator_args: list[str], limits: LimitSettings
) -> tuple[float, dict[str, Any], int]:
    """n requests at concurrency 64 against an emulator *process* enforcing the limits (its own
    event loop, as a real service has: its timing does not depend on the client's load)."""
    emulator = Emulator(*emulator_args)
    settings = dataclasses.replace(load_settings(None, env={}), limits=limits, concurrency=64)
    # The test runner's heap (every earlier test's objects) makes a full garbage collection take
    # 100 ms and more: a stall that a small burst cannot absorb (docs/rate-limits.md). Frozen
    # objects are not scanned, so what is measured is the limiter, not the runner's history.
    gc.collect()
    gc.freeze()
    try:
        async with GeminiAPIClient.from_settings(
            settings, Secret("limits-key"), base_url=emulator.url
        ) as client:
            start = time.monotonic()
            results = await asyncio.gather(*(client.generate(f"{PROMPT} #{i}") for i in range(n)))
            elapsed = time.monotonic() - start
        stats = emulator.stats()
    finally:
        gc.unfreeze()
        emulator.stop()
    return elapsed, stats, sum(r.attempts for r in results)


async def test_a_request_limit_is_met_exactly_with_no_429_at_concurrency_64() -> None:
    limit, window, n = 250, 5.0, 750  # three windows' worth
    elapsed, stats, attempts = await run_batch(
        n,
        ["--rpm", str(limit), "--window-s", str(window)],
        LimitSettings(rules=(LimitRule("requests", limit, window),)),
    )
    assert stats["rate_limited"] == 0
    assert attempts == n
    assert stats["max_requests_in_window"] <= limit
    throughput = (n - 1) / elapsed  # the first request opens the clock
    assert throughput >= 0.95 * limit / window, f"{throughput:.1f}/s of {limit / window}/s"


async def test_a_token_limit_is_met_with_no_429_at_concurrency_64() -> None:
    tpm, window = 5_000, 5.0
    elapsed, stats, attempts = await run_batch(
        880,  # about three windows' worth (17 tokens a prompt)
        ["--tpm", str(tpm), "--window-s", str(window)],
        LimitSettings(
            # the default token burst is a quarter of the limit (long prompts fit); a small one
            # trades that for a sustained rate close to the limit
            rules=(
                LimitRule("tokens", tpm, window, burst=tpm // 80),
                LimitRule("requests", 10**6, 60.0),
            ),
            count_tokens=True,
        ),
    )
    assert stats["rate_limited"] == 0, {
        k: stats[k] for k in ("max_tokens_in_window", "admitted_tokens")
    }
    assert attempts == 880
    assert stats["max_tokens_in_window"] <= tpm
    tokens_per_s = stats["admitted_tokens"] / elapsed
    assert tokens_per_s >= 0.95 * tpm / window, f"{tokens_per_s:.0f} tokens/s of {tpm}/s"


async def test_a_high_request_starts_before_every_waiting_low_one() -> None:
    clock = FakeClock(autojump=False)
    started: list[str] = []
    names: dict[str, str] = {}

    def on(event: Event) -> None:
        if isinstance(event, StateChanged) and event.new is RequestState.PROCESSING:
            started.append(names[event.request_id])

    limits = LimitSettings(rules=(LimitRule("requests", 2, 1.0, burst=1),))
    async with running(clock=clock, limits=limits, concurrency=64) as (client, _):
        client.bus.subscribe(on)

        def submit(name: str, priority: int) -> asyncio.Future[object]:
            names[name] = name
            return asyncio.ensure_future(
                client.generate(PROMPT, priority=priority, request_id=name)
            )

        lows = [submit(f"low{i:03}", Priority.LOW) for i in range(100)]
        await asyncio.sleep(0.05)  # the first LOW takes the burst; 99 wait in line
        high = submit("high", Priority.HIGH)
        await asyncio.sleep(0.05)
        while not all(t.done() for t in (*lows, high)):
            clock.advance(1.0)
            await asyncio.sleep(0.005)
        await asyncio.gather(*lows, high)
    assert started[0] == "low000"
    assert started[1] == "high"
    assert started[2:] == [f"low{i:03}" for i in range(1, 100)]
