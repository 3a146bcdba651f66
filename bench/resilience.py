"""What retries and circuit breakers cost on a call that succeeds at once, beside the peers.

The "call" is a coroutine that returns at once, so every microsecond measured is bookkeeping:

- floor: ``await send()``;
- gemgate, retry + breaker: what :class:`gemgate.client.attempts.Attempts` adds around a
  successful send: a retry-budget count, ``Router.choose`` (the breaker's admit and the adaptive
  throttle) and ``Router.report`` (the breaker's success and the throttle's accept);
- gemgate, the whole retry loop: ``Attempts.run`` itself, with the request-state events it
  emits (two ``StateChanged`` per call) on a bus with no listener;
- tenacity ``AsyncRetrying`` (5 attempts, exponential jitter), purgatory's async breaker
  (threshold 5, 60 s), and both together: the usual do-it-yourself stack.

    pip install tenacity purgatory   # the peers; skipped when missing
    python bench/resilience.py --calls 100000 --rounds 5

Wall time per call on one event loop, best of the rounds (the rounds are interleaved, so a noisy
neighbour slows every contender alike).
"""

from __future__ import annotations

import argparse
import asyncio
import random
import time
from collections.abc import Awaitable, Callable
from importlib.metadata import version
from typing import Any

from gemgate.client.attempts import Attempts
from gemgate.client.call import Call
from gemgate.client.stages import Lifecycle
from gemgate.clock import SystemClock
from gemgate.config import load_settings
from gemgate.cost import CostTracker
from gemgate.observability import EventBus
from gemgate.queue import AdmissionQueue, QueueGate
from gemgate.ratelimit import MemoryStore, RateLimiter
from gemgate.resilience import (
    AdaptiveThrottle,
    BreakerPolicy,
    MemoryBreakers,
    RetryBudget,
    RetryPolicy,
    Router,
)
from gemgate.wire import Endpoint

MODEL = "gemini-2.5-flash"
Contender = Callable[[], Awaitable[Any]]


async def send(*_: object) -> str:
    return "ok"


def gemgate_parts(clock: SystemClock) -> tuple[Router, RetryBudget]:
    def throttle() -> AdaptiveThrottle:
        return AdaptiveThrottle(clock, rng=random.Random(1))

    endpoints = [Endpoint("developer", "v1beta")]
    router = Router(endpoints, MemoryBreakers(BreakerPolicy(), clock), throttle)
    return router, RetryBudget(clock)


def retry_and_breaker(clock: SystemClock) -> Contender:
    router, budget = gemgate_parts(clock)

    async def call() -> str:
        budget.request()
        route = await router.choose(MODEL)
        result = await send()
        await router.report(route, None)
        return result

    return call


def whole_loop(clock: SystemClock) -> Contender:
    router, budget = gemgate_parts(clock)
    settings = load_settings(None, env={})
    life = Lifecycle(
        clock=clock,
        bus=EventBus(),
        gate=QueueGate(None),
        queue=AdmissionQueue(16),
        limiter=RateLimiter({}, MemoryStore(clock), clock),
        costs=CostTracker(),
        scope="k:-",
    )
    attempts = Attempts(life, RetryPolicy(), router, budget)
    config = settings.catalog.get(MODEL)

    async def call() -> str:
        c = Call("r", MODEL, config, "generateContent", {}, estimate=1, priority=0, created_at=0)
        return await attempts.run(c, send, limited=False)

    return call


def tenacity_contender() -> Contender | None:
    try:
        from tenacity import AsyncRetrying, stop_after_attempt, wait_random_exponential
    except ImportError:
        return None

    async def call() -> str:
        async for attempt in AsyncRetrying(
            stop=stop_after_attempt(5), wait=wait_random_exponential(multiplier=0.1, max=8)
        ):
            with attempt:
                return await send()
        raise AssertionError("unreachable")

    return call


def purgatory_contenders() -> tuple[Contender, Contender] | None:
    try:
        from purgatory import AsyncCircuitBreakerFactory
        from tenacity import AsyncRetrying, stop_after_attempt, wait_random_exponential
    except ImportError:
        return None
    factory = AsyncCircuitBreakerFactory(default_threshold=5, default_ttl=60)

    async def breaker_only() -> str:
        async with await factory.get_breaker(MODEL):
            return await send()

    async def both() -> str:
        async for attempt in AsyncRetrying(
            stop=stop_after_attempt(5), wait=wait_random_exponential(multiplier=0.1, max=8)
        ):
            with attempt:
                async with await factory.get_breaker(MODEL):
                    return await send()
        raise AssertionError("unreachable")

    return breaker_only, both


async def per_call_us(call: Contender, n: int) -> float:
    for _ in range(1000):  # warm up
        await call()
    start = time.perf_counter()
    for _ in range(n):
        await call()
    return (time.perf_counter() - start) / n * 1e6


async def main(calls: int, rounds: int) -> None:
    clock = SystemClock()
    contenders: dict[str, Contender] = {
        "floor: await send()": send,
        "gemgate retry + breaker (budget, router: breaker + throttle)": retry_and_breaker(clock),
        "gemgate Attempts.run (the whole retry loop, with state events)": whole_loop(clock),
    }
    if (tenacity := tenacity_contender()) is not None:
        contenders[f"tenacity {version('tenacity')} AsyncRetrying"] = tenacity
    if (pair := purgatory_contenders()) is not None:
        contenders[f"purgatory {version('purgatory')} async breaker"] = pair[0]
        contenders["tenacity + purgatory"] = pair[1]
    best = {name: float("inf") for name in contenders}
    for _ in range(rounds):
        for name, call in contenders.items():
            best[name] = min(best[name], await per_call_us(call, calls))
    floor = best["floor: await send()"]
    print(f"{calls} calls per round, best of {rounds} rounds; overhead = per call - floor")
    print(f"{'contender':66} {'µs/call':>8} {'overhead µs':>12} {'vs gemgate':>10}")
    ours = best["gemgate retry + breaker (budget, router: breaker + throttle)"] - floor
    for name, us in best.items():
        over = us - floor
        ratio = "" if name.startswith("floor") else f"{over / ours:.2f}×"
        print(f"{name:66} {us:8.2f} {over:12.2f} {ratio:>10}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--calls", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    asyncio.run(main(args.calls, args.rounds))
