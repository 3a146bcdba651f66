"""Breakers in process and shared in a real Redis: one suite over both, then what only sharing
gives (one state and a bounded number of probes across processes) and Redis outages."""

from __future__ import annotations

import asyncio
import logging
import sys
import textwrap
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from subprocess import PIPE

import pytest
import redis.asyncio as aioredis

from gemgate.clock import FakeClock, SystemClock
from gemgate.errors import CircuitOpen
from gemgate.resilience import (
    BreakerPolicy,
    Breakers,
    CircuitState,
    MemoryBreakers,
    Permit,
    RedisBreakers,
    Transition,
)
from support import ROOT, RedisServer, delete_prefix, free_port

KEY = "us-central1/gemini-2.5-flash"
OPEN_S = 0.3  # Redis keeps time by its own TIME: the shared tests wait for real, briefly


@dataclass
class Kind:
    name: str
    make: Callable[[], Breakers]
    clock: FakeClock | None
    changes: list[Transition]

    async def advance(self, seconds: float) -> None:
        if self.clock is not None:
            self.clock.advance(seconds)
        else:
            await asyncio.sleep(seconds + 0.01)


@pytest.fixture(params=["memory", "redis"])
async def kind(request: pytest.FixtureRequest) -> AsyncIterator[Kind]:
    changes: list[Transition] = []
    policy = BreakerPolicy(open_s=OPEN_S, probe_lease_s=5.0)
    if request.param == "memory":
        clock = FakeClock()
        shared = MemoryBreakers(policy, clock, changes.append)
        yield Kind("memory", lambda: shared, clock, changes)
        return
    url: str = request.getfixturevalue("redis_url")
    prefix: str = request.getfixturevalue("prefix")
    made: list[RedisBreakers] = []

    def make() -> Breakers:
        made.append(RedisBreakers(url, policy, SystemClock(), changes.append, prefix=prefix))
        return made[-1]

    yield Kind("redis", make, None, changes)
    for breakers in made:
        await breakers.close()
    await delete_prefix(url, prefix)


async def fail(breakers: Breakers, times: int) -> None:
    for _ in range(times):
        await breakers.record(await breakers.admit(KEY), "failure")


async def test_five_failures_open_it_and_it_refuses_at_once(kind: Kind) -> None:
    b = kind.make()
    await fail(b, 4)
    await b.admit(KEY)
    await fail(b, 1)
    with pytest.raises(CircuitOpen) as info:
        await b.admit(KEY)
    assert b.state(KEY) is CircuitState.OPEN
    assert info.value.retry_at > (kind.clock or SystemClock()).monotonic()
    assert [(c.old, c.new) for c in kind.changes] == [(CircuitState.CLOSED, CircuitState.OPEN)]


async def test_after_the_open_period_one_probe_and_its_success_closes_it(kind: Kind) -> None:
    b = kind.make()
    await fail(b, 5)
    await kind.advance(OPEN_S)
    probe = await b.admit(KEY)
    assert probe.probe
    with pytest.raises(CircuitOpen):
        await b.admit(KEY)
    await b.record(probe, "success")
    assert not (await b.admit(KEY)).probe
    assert b.state(KEY) is CircuitState.CLOSED
    assert [c.new for c in kind.changes][-2:] == [CircuitState.HALF_OPEN, CircuitState.CLOSED]


async def test_a_failed_probe_opens_it_again(kind: Kind) -> None:
    b = kind.make()
    await fail(b, 5)
    await kind.advance(OPEN_S)
    await b.record(await b.admit(KEY), "failure")
    with pytest.raises(CircuitOpen):
        await b.admit(KEY)
    assert b.state(KEY) is CircuitState.OPEN


async def test_neutral_outcomes_do_not_count(kind: Kind) -> None:
    b = kind.make()
    await fail(b, 4)
    for _ in range(10):
        await b.record(await b.admit(KEY), "neutral")
    await b.admit(KEY)
    assert b.state(KEY) is CircuitState.CLOSED


async def test_a_success_resets_the_consecutive_failures(kind: Kind) -> None:
    b = kind.make()
    await fail(b, 4)
    await b.record(await b.admit(KEY), "success")
    await fail(b, 4)
    await b.admit(KEY)
    assert b.state(KEY) is CircuitState.CLOSED


# --- only when shared ------------------------------------------------------------------------


@pytest.fixture
async def shared(redis_url: str, prefix: str) -> AsyncIterator[Callable[[], RedisBreakers]]:
    made: list[RedisBreakers] = []

    def make() -> RedisBreakers:
        policy = BreakerPolicy(open_s=OPEN_S, probe_lease_s=5.0)
        made.append(RedisBreakers(redis_url, policy, SystemClock(), prefix=prefix))
        return made[-1]

    yield make
    for b in made:
        await b.close()
    await delete_prefix(redis_url, prefix)


async def test_failures_seen_by_two_processes_add_up_and_open_it_for_both(
    shared: Callable[[], RedisBreakers],
) -> None:
    a, b = shared(), shared()
    await fail(a, 3)
    await fail(b, 2)
    for breakers in (a, b):
        with pytest.raises(CircuitOpen):
            await breakers.admit(KEY)


async def test_a_probe_is_one_probe_across_every_process(
    shared: Callable[[], RedisBreakers],
) -> None:
    many = [shared() for _ in range(4)]
    await fail(many[0], 5)
    await asyncio.sleep(OPEN_S + 0.01)
    outcomes = await asyncio.gather(
        *(b.admit(KEY) for b in many for _ in range(5)), return_exceptions=True
    )
    probes = [o for o in outcomes if isinstance(o, Permit)]
    assert len(probes) == 1
    assert all(isinstance(o, CircuitOpen) for o in outcomes if not isinstance(o, Permit))
    owner = many[[isinstance(o, Permit) for o in outcomes].index(True) // 5]
    await owner.record(probes[0], "success")
    for b in many:
        assert not (await b.admit(KEY)).probe


async def test_the_state_is_one_hash_tagged_key_that_expires(
    shared: Callable[[], RedisBreakers], redis_url: str, prefix: str
) -> None:
    await fail(shared(), 5)
    client = aioredis.Redis.from_url(redis_url)
    try:
        keys = [k.decode() async for k in client.scan_iter(match=f"{prefix}:*")]
        assert keys == [f"{prefix}:cb:{{{KEY}}}"]
        assert 0 < await client.pttl(keys[0]) <= 3_600_000 + 2 * 5_000
    finally:
        await client.aclose()


async def test_a_closed_breaker_with_no_failures_keeps_nothing_in_redis(
    shared: Callable[[], RedisBreakers], redis_url: str, prefix: str
) -> None:
    b = shared()
    await fail(b, 2)
    await b.record(await b.admit(KEY), "success")
    client = aioredis.Redis.from_url(redis_url)
    try:
        assert [k async for k in client.scan_iter(match=f"{prefix}:*")] == []
    finally:
        await client.aclose()


async def test_when_redis_is_down_breakers_decide_locally_and_share_again_after(
    private_redis: RedisServer, caplog: pytest.LogCaptureFixture
) -> None:
    clock = FakeClock()  # the local fallback's clock and the retry pause; Redis keeps its TIME
    b = RedisBreakers(private_redis.url, BreakerPolicy(open_s=OPEN_S), clock, retry_s=1.0)
    try:
        await b.record(await b.admit(KEY), "success")
        private_redis.stop()
        with caplog.at_level(logging.WARNING, logger="gemgate.resilience"):
            await fail(b, 5)
            with pytest.raises(CircuitOpen):
                await b.admit(KEY)  # the local breaker opened
        warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
        assert len(warnings) == 1
        assert "decide locally" in warnings[0].getMessage()
        private_redis.start()
        clock.advance(1.0)  # the pause before trying Redis again
        assert not (await b.admit(KEY)).probe  # the shared state (still closed) decides again
    finally:
        await b.close()


WORKER = textwrap.dedent(
    """
    import asyncio, sys, time
    from gemgate.clock import SystemClock
    from gemgate.errors import CircuitOpen
    from gemgate.resilience import BreakerPolicy, RedisBreakers

    async def main(url, prefix, start_at):
        b = RedisBreakers(url, BreakerPolicy(open_s=0.3, probe_lease_s=30.0), SystemClock(),
                          prefix=prefix)
        probes = 0
        while time.time() < start_at:
            await asyncio.sleep(0.005)
        stop = time.monotonic() + 0.6
        while time.monotonic() < stop:
            try:
                probes += (await b.admit("r/m")).probe  # never reported: the lease holds it
            except CircuitOpen:
                pass
        await b.close()
        print(probes)

    asyncio.run(main(sys.argv[1], sys.argv[2], float(sys.argv[3])))
    """
)


async def test_four_processes_send_one_probe_between_them(
    shared: Callable[[], RedisBreakers], redis_url: str, prefix: str
) -> None:
    b = shared()
    for _ in range(5):
        await b.record(await b.admit("r/m"), "failure")
    start_at = time.time() + 1.0  # past the open period: they all race for the one probe
    args = ("-c", WORKER, redis_url, prefix, str(start_at))
    procs = [
        await asyncio.create_subprocess_exec(sys.executable, *args, stdout=PIPE, cwd=ROOT)
        for _ in range(4)
    ]
    outputs = await asyncio.wait_for(asyncio.gather(*(p.communicate() for p in procs)), 30)
    probes = [int(out) for out, _ in outputs]
    assert sum(probes) == 1, probes


async def test_a_success_after_failures_resets_them_even_if_admitted_before_them(
    kind: Kind,
) -> None:
    """Six requests admitted together; their outcomes come back 4 failures, a success, a
    failure: never 5 in a row, so the breaker stays closed, shared or not."""
    b = kind.make()
    permits = [await b.admit(KEY) for _ in range(6)]
    for permit, outcome in zip(permits, ["failure"] * 4 + ["success", "failure"], strict=True):
        await b.record(permit, outcome)  # type: ignore[arg-type]
    await b.admit(KEY)
    assert b.state(KEY) is CircuitState.CLOSED


async def test_a_process_refused_during_a_probe_admits_again_once_it_succeeds(
    shared: Callable[[], RedisBreakers],
) -> None:
    owner, other = shared(), shared()
    await fail(owner, 5)
    await asyncio.sleep(OPEN_S + 0.01)
    probe = await owner.admit(KEY)
    with pytest.raises(CircuitOpen):
        await other.admit(KEY)  # refused while the probe is out
    await owner.record(probe, "success")
    assert other.blocked_until(KEY) is None  # the precheck does not refuse on a stale view
    assert not (await other.admit(KEY)).probe


async def test_a_redis_that_refuses_writes_leaves_the_decisions_to_this_process(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A read-only replica (as during a Redis failover) answers every script with an error."""
    replica = RedisServer(free_port(), "--replicaof", "127.0.0.1", str(free_port()))
    replica.start()
    b = RedisBreakers(replica.url, BreakerPolicy(), FakeClock())
    try:
        with caplog.at_level(logging.WARNING, logger="gemgate.resilience"):
            await fail(b, 5)
            with pytest.raises(CircuitOpen):
                await b.admit(KEY)
        assert "refused" in caplog.records[0].getMessage()
    finally:
        await b.close()
        replica.stop()


async def test_a_probe_reporting_after_its_lease_counts_for_nothing(
    redis_url: str, prefix: str
) -> None:
    b = RedisBreakers(
        redis_url, BreakerPolicy(open_s=0.1, probe_lease_s=0.2), SystemClock(), prefix=prefix
    )
    try:
        await fail(b, 5)
        await asyncio.sleep(0.11)
        stale = await b.admit(KEY)
        await asyncio.sleep(0.21)  # its lease is over
        fresh = await b.admit(KEY)
        assert fresh.probe
        await b.record(stale, "neutral")
        with pytest.raises(CircuitOpen):
            await b.admit(KEY)  # the fresh probe still holds the only place
        await b.record(stale, "success")
        assert b.state(KEY) is CircuitState.HALF_OPEN
        await b.record(fresh, "success")
        assert b.state(KEY) is CircuitState.CLOSED
    finally:
        await b.close()
        await delete_prefix(redis_url, prefix)


async def test_a_probe_from_an_earlier_outage_counts_for_nothing_in_a_later_one(
    redis_url: str, prefix: str
) -> None:
    """Closing deletes the hash; the epochs of the next outage must still be new ones."""
    policy = BreakerPolicy(failure_threshold=1, open_s=0.1, probe_lease_s=0.1)
    b = RedisBreakers(redis_url, policy, SystemClock(), prefix=prefix)
    try:
        await fail(b, 1)  # outage 1
        await asyncio.sleep(0.11)
        stale = await b.admit(KEY)  # its lease will run out
        await asyncio.sleep(0.11)
        await b.record(await b.admit(KEY), "success")  # another probe closes it
        await fail(b, 1)  # outage 2
        await asyncio.sleep(0.11)
        current = await b.admit(KEY)
        assert current.probe
        assert current.epoch != stale.epoch
        await b.record(stale, "failure")
        assert b.state(KEY) is CircuitState.HALF_OPEN
    finally:
        await b.close()
        await delete_prefix(redis_url, prefix)
