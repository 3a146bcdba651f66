"""Retry budget, circuit breakers, failover and adaptive throttling, end to end: the client on
loopback against the emulator with fault plans; breakers and backoff on a fake clock where the
test is about time."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import json
import logging
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Iterable

import pytest

from gemgate.client import GeminiAPIClient, Stream, endpoints_of
from gemgate.client.wiring import router_for
from gemgate.clock import FakeClock, SystemClock
from gemgate.config import (
    BreakerSettings,
    EndpointSettings,
    LimitSettings,
    RetrySettings,
    ThrottleSettings,
    load_settings,
)
from gemgate.credentials import Secret
from gemgate.emulator import EmulatorConfig, EmulatorServer, FaultRule
from gemgate.errors import (
    CircuitOpen,
    ConfigError,
    DailyQuotaExhausted,
    DeadlineExceeded,
    NoSuchRegion,
    ServerError,
    Throttled,
)
from gemgate.observability import CircuitChanged, Event, EventBus
from gemgate.ratelimit import RateLimiter, day_spent_for
from support import delete_prefix

from .conftest import running

PROMPT = "Say something resilient."
DOWN = FaultRule("status", status=503)
VERTEX = EndpointSettings(
    kind="vertex", project="p", regions=("us-central1", "europe-west1"), api_version="v1"
)
PRIMARY_DOWN = FaultRule("status", status=503, region="us-central1")
NO_BREAKER = BreakerSettings(enabled=False)
NO_THROTTLE = ThrottleSettings(k=0.0)


async def outcomes(calls: Iterable[Awaitable[object]]) -> list[object]:
    """Every call's result or exception, run concurrently."""
    return list(await asyncio.gather(*calls, return_exceptions=True))


async def test_200_requests_into_a_dead_service_cost_at_most_a_tenth_more_plus_the_floor() -> None:
    """Breaker and throttle off, so the retry budget alone bounds the load: 10% of the
    requests plus 1 retry per second over its 10 s window (the whole run is shorter)."""
    async with running(
        DOWN,
        clock=SystemClock(),
        breaker=NO_BREAKER,
        throttle=NO_THROTTLE,
        concurrency=64,
        limiter=RateLimiter({}),  # no client-side rate limit: the run stays within one window
    ) as (client, emu):
        results = await outcomes([client.generate(f"{PROMPT} {i}") for i in range(200)])
        sent = emu.stats()["requests_total"]
    assert all(isinstance(r, ServerError) for r in results)
    assert 200 <= sent <= 1.1 * 200 + 10
    assert client.metrics.gave_up["retry budget spent"] > 0


async def test_with_the_defaults_a_dead_service_sees_even_less() -> None:
    """The breaker opens after 5 failures: most requests fail fast without being sent, those
    waiting for rate-limit capacity (the packaged 1,000 RPM) included."""
    async with running(DOWN, clock=SystemClock(), concurrency=8) as (client, emu):
        start = time.monotonic()
        results = await outcomes([client.generate(f"{PROMPT} {i}") for i in range(200)])
        elapsed = time.monotonic() - start
        sent = emu.stats()["requests_total"]
    fast = [r for r in results if isinstance(r, CircuitOpen)]
    assert len(fast) >= 180
    assert sent <= 5 + 8 + 10  # the threshold, what was in flight, a few budgeted retries
    assert elapsed < 3.0  # not the 12 s that 200 requests take at 1,000 RPM


async def test_after_5_failures_nothing_is_sent_until_the_open_period_then_exactly_one_probe() -> (
    None
):
    clock = FakeClock()
    changes: list[CircuitChanged] = []

    def keep(event: Event) -> None:
        if isinstance(event, CircuitChanged):
            changes.append(event)

    async with running(DOWN, clock=clock) as (client, emu):
        client.bus.subscribe(keep)
        with pytest.raises(ServerError):
            await client.generate(PROMPT)  # 5 attempts, 5 failures
        assert emu.stats()["requests_total"] == 5
        with pytest.raises(CircuitOpen) as info:
            await client.generate(PROMPT)
        opened_at = clock.monotonic()
        assert info.value.retry_at == pytest.approx(opened_at + 60.0, abs=2.0)
        clock.advance(info.value.retry_at - clock.monotonic() - 0.01)
        refused = await outcomes([client.generate(PROMPT) for _ in range(20)])
        assert all(isinstance(r, CircuitOpen) for r in refused)
        assert emu.stats()["requests_total"] == 5  # nothing reached the server while open

        clock.advance(0.01)
        probing = await outcomes([client.generate(PROMPT) for _ in range(10)])
        assert emu.stats()["requests_total"] == 6  # exactly one probe
        assert sum(isinstance(r, CircuitOpen) for r in probing) == 9  # refused while it was out
        assert sum(isinstance(r, ServerError) for r in probing) == 1  # the probe: open again

        emu.set_faults({"rules": []})  # the service recovers
        clock.advance(60.0)
        probe = await client.generate(PROMPT)
        recovered = await outcomes([client.generate(PROMPT) for _ in range(10)])
        stats = emu.stats()
    assert probe.attempts == 1
    assert stats["requests_total"] == 6 + 1 + 10  # the probe closed it; then everything went
    assert not [r for r in recovered if isinstance(r, BaseException)]
    assert [(c.old, c.new) for c in changes] == [
        ("closed", "open"),
        ("open", "half_open"),
        ("half_open", "open"),
        ("open", "half_open"),
        ("half_open", "closed"),
    ]
    assert {c.endpoint for c in changes} == {"global"}


async def test_transitions_go_to_the_audit_log(caplog: pytest.LogCaptureFixture) -> None:
    async with running(DOWN, clock=FakeClock()) as (client, _):
        with caplog.at_level(logging.INFO, logger="gemgate.audit"), pytest.raises(ServerError):
            await client.generate(PROMPT)
    records = [json.loads(r.getMessage()) for r in caplog.records if r.name == "gemgate.audit"]
    circuit = [r for r in records if r.get("event") == "circuit"]
    assert circuit == [
        {"event": "circuit", "endpoint": "global", "model": "gemini-2.5-flash", "from": "closed",
         "to": "open"}
    ]  # fmt: skip


async def test_with_the_primary_down_requests_succeed_via_the_secondary() -> None:
    """One at a time, so nothing is in flight when the breaker trips: the primary receives
    exactly the threshold."""
    async with running(PRIMARY_DOWN, endpoint=VERTEX, clock=FakeClock()) as (client, emu):
        results = [await client.generate(f"{PROMPT} {i}") for i in range(200)]
        stats = emu.stats()
    assert all(r.region == "europe-west1" for r in results)
    assert stats["by_region"]["us-central1"] == 5
    assert stats["by_region"]["europe-west1"] == 200


async def test_concurrent_requests_fail_over_and_the_primary_sees_threshold_plus_in_flight() -> (
    None
):
    concurrency = 8
    async with running(
        PRIMARY_DOWN, endpoint=VERTEX, clock=FakeClock(), concurrency=concurrency
    ) as (client, emu):
        results = await outcomes([client.generate(f"{PROMPT} {i}") for i in range(300)])
        stats = emu.stats()
    ok = [r for r in results if not isinstance(r, BaseException)]
    assert len(ok) >= 0.99 * 300
    assert stats["by_region"]["us-central1"] <= 5 + concurrency - 1


async def test_traffic_returns_to_the_primary_when_its_probe_succeeds() -> None:
    clock = FakeClock()
    async with running(PRIMARY_DOWN, endpoint=VERTEX, clock=clock) as (client, emu):
        for i in range(10):
            await client.generate(f"{PROMPT} {i}")
        emu.set_faults({"rules": []})
        clock.advance(60.0)
        after = [await client.generate(f"{PROMPT} again {i}") for i in range(10)]
        stats = emu.stats()
    assert [r.region for r in after] == ["us-central1"] * 10
    assert stats["by_region"]["us-central1"] == 5 + 10


async def test_a_pinned_request_never_leaves_its_region() -> None:
    async with running(PRIMARY_DOWN, endpoint=VERTEX, clock=FakeClock()) as (client, emu):
        with pytest.raises(ServerError):
            await client.generate(PROMPT, region="us-central1")
        with pytest.raises(CircuitOpen) as info:
            await client.generate(PROMPT, region="us-central1")
        elsewhere = await client.generate(PROMPT, region="europe-west1")
        stats = emu.stats()
    assert info.value.endpoint == "us-central1"
    assert elsewhere.region == "europe-west1"
    assert stats["by_region"] == {"us-central1": 5, "europe-west1": 1}


async def test_a_pin_to_a_region_not_configured_is_refused_before_sending() -> None:
    async with running(endpoint=VERTEX) as (client, emu):
        with pytest.raises(NoSuchRegion):
            await client.generate(PROMPT, region="asia-northeast1")
        assert emu.stats()["requests_total"] == 0


async def test_adaptive_throttling_refuses_locally_what_a_sick_endpoint_would_reject() -> None:
    """Breaker off: the throttle alone keeps the load off an endpoint that rejects everything,
    while a trickle still reaches it."""
    async with running(
        DOWN,
        clock=FakeClock(),
        breaker=NO_BREAKER,
        retry=RetrySettings(max_attempts=1),
        throttle=ThrottleSettings(k=2.0, min_requests=20),
    ) as (client, emu):
        results = await outcomes([client.generate(f"{PROMPT} {i}") for i in range(300)])
        sent = emu.stats()["requests_total"]
    refused = [r for r in results if isinstance(r, Throttled)]
    assert 20 < sent <= 60
    assert len(refused) == 300 - sent


@contextlib.asynccontextmanager
async def two_base_urls(
    *faults: FaultRule,
) -> AsyncIterator[tuple[GeminiAPIClient, EmulatorServer, EmulatorServer]]:
    """A client on two Developer API base URLs: an emulator with ``faults``, then a healthy one."""
    async with (
        EmulatorServer(EmulatorConfig(faults=faults)) as first,
        EmulatorServer(EmulatorConfig()) as second,
    ):
        endpoint = EndpointSettings(base_urls=(first.base_url, second.base_url))
        settings = dataclasses.replace(load_settings(None, env={}), endpoint=endpoint)
        async with GeminiAPIClient.from_settings(settings, Secret("k"), clock=FakeClock()) as c:
            yield c, first, second


async def test_several_developer_api_base_urls_fail_over_in_order() -> None:
    async with two_base_urls(DOWN) as (client, sick, healthy):
        results = [await client.generate(f"{PROMPT} {i}") for i in range(20)]
        assert sick.stats()["requests_total"] == 5
        assert healthy.stats()["requests_total"] == 20
    assert {r.region for r in results} == {healthy.base_url.removeprefix("http://")}


async def test_a_callers_own_short_deadline_does_not_open_the_breaker_for_everyone() -> None:
    """Timeouts cut short by the caller's deadline say nothing about a slow but healthy
    service: five impatient callers leave the breaker closed for the patient ones."""
    async with running(FaultRule("latency", ms=300), clock=SystemClock()) as (client, _):
        for _ in range(5):
            with pytest.raises(DeadlineExceeded):
                await client.generate(PROMPT, deadline_s=0.05)
        result = await client.generate(PROMPT)
    assert result.attempts == 1
    assert client.metrics.circuits_opened == {}


async def test_failover_is_not_held_back_by_the_failed_endpoints_retry_after() -> None:
    clock = FakeClock()
    fault = FaultRule("status", status=503, region="us-central1", retry_after="30")
    async with running(fault, endpoint=VERTEX, clock=clock) as (client, _):
        result = await client.generate(PROMPT, deadline_s=10)
    assert result.region == "europe-west1"
    assert clock.sleeps[0] <= 0.1  # plain backoff, not us-central1's 30 s


async def test_failover_under_a_full_pool_of_callers_is_not_refused_by_the_retry_budget() -> None:
    """64 requests in flight when the primary fails each need one failover retry: moving to an
    endpoint the request has not tried adds no load to the sick one, so the budget lets it."""
    async with running(PRIMARY_DOWN, endpoint=VERTEX, clock=FakeClock(), concurrency=64) as (
        client,
        emu,
    ):
        results = await outcomes([client.generate(f"{PROMPT} {i}") for i in range(200)])
        stats = emu.stats()
    assert [r for r in results if isinstance(r, BaseException)] == []
    assert stats["by_region"]["europe-west1"] == 200


async def test_a_deadline_of_zero_sends_nothing_and_records_no_attempt() -> None:
    async with running() as (client, emu):
        with pytest.raises(DeadlineExceeded):
            await client.generate(PROMPT, deadline_s=0)
        assert emu.stats()["requests_total"] == 0
    assert client.costs.total.requests == 0


async def test_after_a_burst_into_an_outage_traffic_returns_once_the_probe_succeeds() -> None:
    """The burst's rejections filled the primary's throttle window: the probe is not refused
    by it, and its success clears it, so traffic (pinned traffic too) returns at once."""
    clock = FakeClock()
    async with running(PRIMARY_DOWN, endpoint=VERTEX, clock=clock, concurrency=64) as (
        client,
        emu,
    ):
        await outcomes([client.generate(f"{PROMPT} {i}") for i in range(200)])
        emu.set_faults({"rules": []})
        clock.advance(61.0)
        probe = await client.generate(PROMPT)
        after = [await client.generate(f"{PROMPT} after {i}") for i in range(50)]
        pinned = await outcomes(
            [client.generate(f"{PROMPT} pinned {i}", region="us-central1") for i in range(50)]
        )
    assert probe.region == "us-central1"
    assert [r.region for r in after] == ["us-central1"] * 50
    assert [r for r in pinned if isinstance(r, BaseException)] == []


def test_base_urls_on_one_host_are_told_apart_by_their_path() -> None:
    endpoint = EndpointSettings(
        base_urls=("https://gw.example:8443/us", "https://gw.example:8443/eu/")
    )
    settings = dataclasses.replace(load_settings(None, env={}), endpoint=endpoint)
    assert [e.name for e in endpoints_of(settings)] == ["gw.example:8443/us", "gw.example:8443/eu"]
    schemes = EndpointSettings(base_urls=("http://gw.example", "https://gw.example"))
    settings = dataclasses.replace(settings, endpoint=schemes)
    assert [e.name for e in endpoints_of(settings)] == ["http://gw.example", "https://gw.example"]


@pytest.mark.parametrize(
    "endpoint",
    [
        EndpointSettings(base_urls=("https://a.example", "https://A.example/")),
        EndpointSettings(kind="vertex", project="p", regions=("us-central1", "us-central1")),
    ],
)
def test_an_endpoint_listed_twice_is_a_config_error(endpoint: EndpointSettings) -> None:
    settings = dataclasses.replace(load_settings(None, env={}), endpoint=endpoint)
    with pytest.raises(ConfigError, match="listed twice"):
        endpoints_of(settings)


async def test_a_retry_that_falls_back_to_the_failed_endpoint_keeps_its_hint_and_is_charged() -> (
    None
):
    """The secondary's circuit is open, so the retry of a 503 from the primary goes back to the
    primary: its Retry-After holds, and the retry budget is charged for it."""
    clock = FakeClock()
    secondary_down = FaultRule("status", status=503, region="europe-west1")
    primary_503 = FaultRule("status", status=503, region="us-central1", retry_after="30", count=1)
    async with running(secondary_down, primary_503, endpoint=VERTEX, clock=clock) as (client, _):
        with pytest.raises(ServerError):
            await client.generate(PROMPT, region="europe-west1")  # 5 failures: it opens
        clock.sleeps.clear()
        result = await client.generate(PROMPT)
    assert (result.region, result.attempts) == ("us-central1", 2)
    assert clock.sleeps[0] >= 30.0


async def test_a_shared_breaker_knows_the_circuit_its_own_failure_opened(redis_url: str) -> None:
    """With breakers in Redis, the retry that falls back to the failed endpoint also keeps its
    hint: this process knows the secondary is open because its own failure opened it."""
    clock = FakeClock()
    secondary_down = FaultRule("status", status=503, region="europe-west1")
    primary_503 = FaultRule("status", status=503, region="us-central1", retry_after="30", count=1)
    project = f"test-{uuid.uuid4().hex[:12]}"  # limits and breakers are per project on Vertex
    try:
        async with running(
            secondary_down,
            primary_503,
            endpoint=dataclasses.replace(VERTEX, project=project),
            clock=clock,
            breaker=BreakerSettings(shared=True),
            limits=LimitSettings(redis_url=redis_url),
        ) as (client, _):
            with pytest.raises(ServerError):
                await client.generate(PROMPT, region="europe-west1")
            clock.sleeps.clear()
            result = await client.generate(PROMPT)
    finally:
        await delete_prefix(redis_url, f"gemgate:p:{project}")  # the breakers
        await delete_prefix(redis_url, f"gemgate:{{p:{project}")  # the limits
    assert (result.region, result.attempts) == ("us-central1", 2)
    assert clock.sleeps[0] >= 30.0


async def test_a_retry_is_not_waited_for_when_every_endpoint_is_open() -> None:
    clock = FakeClock()
    async with running(DOWN, clock=clock, breaker=BreakerSettings(failure_threshold=3)) as (
        client,
        _,
    ):
        with pytest.raises(ServerError):
            await client.generate(PROMPT)  # the 3rd failure opens the only endpoint
    assert len(clock.sleeps) == 2  # and no wait after it, for an attempt that could not go
    assert client.metrics.gave_up["every endpoint's circuit is open"] == 1


async def test_circuit_events_name_endpoints_whose_names_hold_slashes() -> None:
    changes: list[CircuitChanged] = []
    endpoint = EndpointSettings(base_urls=("http://127.0.0.1:9/a", "https://127.0.0.1:9/a"))
    settings = dataclasses.replace(load_settings(None, env={}), endpoint=endpoint)
    bus = EventBus()
    bus.subscribe(lambda e: changes.append(e) if isinstance(e, CircuitChanged) else None)
    router = router_for(settings, endpoints_of(settings), FakeClock(), bus, "k:-")
    model, first = "gemini-2.5-flash", "http://127.0.0.1:9/a"
    for _ in range(5):
        route = await router.choose(model, pinned=first)
        await router.report(route, ServerError("down", status=503))
    assert [(c.endpoint, c.model, c.new) for c in changes] == [(first, model, "open")]


async def test_streams_failing_after_their_first_chunk_count_against_the_breaker() -> None:
    """Not retried (data reached the caller), but a 500 mid-stream is still the endpoint
    failing: five of them open its circuit."""
    fault = FaultRule("stream_error", after_chunks=1, status=500)
    async with running(fault, clock=FakeClock()) as (client, emu):
        for _ in range(5):
            with pytest.raises(ServerError):
                await drain(client.stream(PROMPT))
        with pytest.raises(CircuitOpen):
            await client.generate(PROMPT)
        assert emu.stats()["requests_total"] == 5
    assert client.metrics.circuits_opened == {"global/gemini-2.5-flash": 1}


async def drain(stream: Stream) -> None:
    async with stream as chunks:
        async for _chunk in chunks:
            pass


async def test_a_stream_left_early_on_purpose_is_neither_a_success_nor_a_failure() -> None:
    four = FaultRule("status", status=503, count=4)
    async with running(four, clock=FakeClock(), retry=RetrySettings(max_attempts=4)) as (
        client,
        _,
    ):
        with pytest.raises(ServerError):
            await client.generate(PROMPT)  # 4 failures in a row
        async with client.stream(PROMPT) as chunks:
            async for _chunk in chunks:
                break  # the caller leaves: that says nothing of the endpoint
        breaker = client.router.breakers.breaker("global/gemini-2.5-flash")  # type: ignore[attr-defined]
        assert breaker.failures == 4  # not reset by a success, not counted as a failure


PRIMARY_DAY_SPENT = FaultRule("status", status=429, quota="day", region="us-central1")


async def test_a_region_whose_day_is_spent_is_passed_over_and_the_request_moves_on() -> None:
    clock = FakeClock()
    async with running(PRIMARY_DAY_SPENT, endpoint=VERTEX, clock=clock) as (client, emu):
        first = await client.generate(PROMPT)
        rest = [await client.generate(f"{PROMPT} {i}") for i in range(9)]
        with pytest.raises(DailyQuotaExhausted) as pinned:
            await client.generate(PROMPT, region="us-central1")  # data residency: no move
        stats = emu.stats()
        emu.set_faults({"rules": []})
        clock.advance(day_spent_for(clock.time()))  # midnight Pacific: a new day
        back = await client.generate(PROMPT)
    assert (first.attempts, first.region) == (2, "europe-west1")
    assert all((r.attempts, r.region) == (1, "europe-west1") for r in rest)
    assert stats["by_region"] == {"us-central1": 1, "europe-west1": 10}  # one 429, then nothing
    assert pinned.value.status is None  # refused here, not sent
    assert pinned.value.resets_at is not None
    assert (back.attempts, back.region) == (1, "us-central1")


async def test_when_every_regions_day_is_spent_the_model_stops_until_the_reset() -> None:
    every_day_spent = FaultRule("status", status=429, quota="day")
    async with running(every_day_spent, endpoint=VERTEX, clock=FakeClock()) as (client, emu):
        with pytest.raises(DailyQuotaExhausted) as first:
            await client.generate(PROMPT)
        with pytest.raises(DailyQuotaExhausted) as later:
            await client.generate(PROMPT)
        stats = emu.stats()
    assert first.value.status == 429
    assert later.value.status is None  # the limiter refuses at once: nothing more is sent
    assert stats["by_region"] == {"us-central1": 1, "europe-west1": 1}


async def test_developer_api_base_urls_share_one_quota_so_a_spent_day_does_not_move() -> None:
    day_spent = FaultRule("status", status=429, quota="day")
    async with two_base_urls(day_spent) as (client, first, second):
        with pytest.raises(DailyQuotaExhausted):
            await client.generate(PROMPT)
        assert first.stats()["requests_total"] == 1
        assert second.stats()["requests_total"] == 0


async def test_a_model_named_by_alias_passes_the_spent_region_over_too() -> None:
    async with running(PRIMARY_DAY_SPENT, endpoint=VERTEX, clock=FakeClock()) as (client, emu):
        results = [await client.generate(PROMPT, model="models/gemini-2.5-flash") for _ in range(5)]
        with pytest.raises(DailyQuotaExhausted) as pinned:
            await client.generate(PROMPT, model="models/gemini-2.5-flash", region="us-central1")
        stats = emu.stats()
    assert [r.attempts for r in results] == [2, 1, 1, 1, 1]
    assert pinned.value.status is None
    assert stats["by_region"] == {"us-central1": 1, "europe-west1": 5}


async def test_a_move_for_a_spent_day_is_never_charged_to_the_retry_budget() -> None:
    """us-central1 503s once (the failover to europe-west1 is a first visit, uncharged); there
    the day is spent, and going back to us-central1 is a move for quota, not a retry."""
    faults = (
        FaultRule("status", status=503, region="us-central1", count=1),
        FaultRule("status", status=429, quota="day", region="europe-west1"),
    )
    no_budget = RetrySettings(budget_ratio=0.0, budget_min_per_s=0.0)
    async with running(*faults, endpoint=VERTEX, clock=FakeClock(), retry=no_budget) as (
        client,
        _,
    ):
        result = await client.generate(PROMPT)
    assert (result.attempts, result.region) == (3, "us-central1")


async def test_a_spent_day_with_the_other_regions_circuit_open_says_circuit_open() -> None:
    """The model is not stopped for the day: once europe-west1's circuit closes, requests go."""
    faults = (
        FaultRule("status", status=503, region="europe-west1", count=1),
        PRIMARY_DAY_SPENT,
    )
    breaker = BreakerSettings(failure_threshold=1)
    async with running(*faults, endpoint=VERTEX, clock=FakeClock(), breaker=breaker) as (
        client,
        _,
    ):
        with pytest.raises(ServerError):
            await client.generate(PROMPT, region="europe-west1")  # opens its circuit
        with pytest.raises(CircuitOpen) as info:
            await client.generate(PROMPT)  # us-central1's day is spent, europe-west1 is open
    assert info.value.endpoint == "europe-west1"
    assert isinstance(info.value.__context__, DailyQuotaExhausted)
