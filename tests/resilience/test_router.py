"""The router: which endpoint each attempt goes to, and what it learns from the outcome."""

from __future__ import annotations

import contextlib
import random

import pytest

from gemgate.clock import FakeClock
from gemgate.errors import (
    CircuitOpen,
    DailyQuotaExhausted,
    InvalidRequest,
    NoSuchRegion,
    RateLimited,
    RequestTimeout,
    ServerError,
    Throttled,
)
from gemgate.resilience import (
    AdaptiveThrottle,
    BreakerPolicy,
    CircuitState,
    MemoryBreakers,
    Router,
)
from gemgate.wire import Endpoint

MODEL = "gemini-2.5-flash"
REGIONS = ("us-central1", "europe-west1", "global")
S503 = ServerError("unavailable", status=503)


def router(clock: FakeClock, *, throttle: bool = False, threshold: int = 5) -> Router:
    endpoints = [Endpoint("vertex", "v1", None, "p", r) for r in REGIONS]
    breakers = MemoryBreakers(BreakerPolicy(failure_threshold=threshold), clock)

    def make() -> AdaptiveThrottle:
        return AdaptiveThrottle(clock, rng=random.Random(1))

    return Router(endpoints, breakers, make if throttle else None, clock)


async def overload(r: Router, region: str, times: int = 200) -> None:
    """``times`` attempts at ``region`` that each meet a 503 (or are refused locally)."""
    for _ in range(times):
        with contextlib.suppress(Throttled, CircuitOpen):
            await r.report(await r.choose(MODEL, pinned=region), S503)


async def test_a_new_request_goes_to_the_first_endpoint() -> None:
    route = await router(FakeClock()).choose(MODEL)
    assert route.endpoint.name == "us-central1"


async def test_a_retry_after_a_5xx_or_timeout_starts_at_the_next_endpoint() -> None:
    r = router(FakeClock())
    route = await r.choose(MODEL)
    assert r.next_start(route, S503) == 1
    assert r.next_start(route, RequestTimeout("read timeout")) == 1
    second = await r.choose(MODEL, start=1)
    assert second.endpoint.name == "europe-west1"
    assert r.next_start(second, S503) == 2
    assert r.next_start(await r.choose(MODEL, start=2), S503) == 0  # wraps around


async def test_a_retry_after_a_429_stays_where_it_was() -> None:
    r = router(FakeClock())
    route = await r.choose(MODEL)
    assert r.next_start(route, RateLimited("quota", retry_delay=1.0)) == 0


async def test_an_open_endpoint_is_skipped_and_traffic_returns_after_a_good_probe() -> None:
    clock = FakeClock()
    r = router(clock)
    for _ in range(5):
        await r.report(await r.choose(MODEL), S503)
    assert r.breakers.state(f"us-central1/{MODEL}") is CircuitState.OPEN
    assert (await r.choose(MODEL)).endpoint.name == "europe-west1"
    clock.advance(60.0)
    probe = await r.choose(MODEL)
    assert probe.endpoint.name == "us-central1"
    assert probe.permit.probe
    assert (await r.choose(MODEL)).endpoint.name == "europe-west1"  # while the probe is out
    await r.report(probe, None)
    assert (await r.choose(MODEL)).endpoint.name == "us-central1"


async def test_breakers_are_per_endpoint_and_model() -> None:
    r = router(FakeClock())
    for _ in range(5):
        await r.report(await r.choose(MODEL), S503)
    assert (await r.choose("gemini-2.5-pro")).endpoint.name == "us-central1"


async def test_when_every_endpoint_is_open_the_error_names_the_soonest_probe() -> None:
    clock = FakeClock()
    r = router(clock, threshold=1)
    for start in range(3):
        await r.report(await r.choose(MODEL, start=start), S503)
        clock.advance(1.0)
    with pytest.raises(CircuitOpen) as info:
        await r.choose(MODEL)
    assert (info.value.endpoint, info.value.model, info.value.retry_at) == (
        "us-central1",
        MODEL,
        60.0,
    )
    with pytest.raises(CircuitOpen):
        r.precheck(MODEL)


async def test_a_pinned_request_never_leaves_its_region() -> None:
    r = router(FakeClock())
    for _ in range(5):
        await r.report(await r.choose(MODEL, pinned="europe-west1"), S503)
    with pytest.raises(CircuitOpen) as info:
        await r.choose(MODEL, pinned="europe-west1")
    assert info.value.endpoint == "europe-west1"
    assert (await r.choose(MODEL)).endpoint.name == "us-central1"
    r.precheck(MODEL)  # others are fine
    with pytest.raises(CircuitOpen):
        r.precheck(MODEL, pinned="europe-west1")


async def test_a_pin_to_an_unknown_region_is_an_invalid_request() -> None:
    with pytest.raises(NoSuchRegion) as info:
        await router(FakeClock()).choose(MODEL, pinned="asia-east1")
    assert isinstance(info.value, InvalidRequest)
    assert "us-central1" in str(info.value)


async def test_4xx_and_429_do_not_count_against_the_breaker() -> None:
    r = router(FakeClock(), threshold=2)
    for error in [InvalidRequest("bad", status=400), RateLimited("quota", status=429)] * 5:
        await r.report(await r.choose(MODEL), error)
    assert r.breakers.state(f"us-central1/{MODEL}") is CircuitState.CLOSED


async def test_a_throttled_endpoint_sends_the_request_to_the_next() -> None:
    clock = FakeClock()
    r = router(clock, throttle=True, threshold=10**6)  # never opens; only the throttle learns
    await overload(r, "us-central1")
    names = [(await r.choose(MODEL)).endpoint.name for _ in range(100)]
    assert names.count("europe-west1") >= 80  # most go elsewhere, without a byte to us-central1


async def test_a_pinned_request_to_a_throttled_endpoint_is_refused_locally() -> None:
    r = router(FakeClock(), throttle=True, threshold=10**6)
    await overload(r, "global")
    outcomes: list[object] = []
    for _ in range(50):
        try:
            outcomes.append(await r.choose(MODEL, pinned="global"))
        except Throttled as exc:
            outcomes.append(exc)
    refused = [o for o in outcomes if isinstance(o, Throttled)]
    assert len(refused) >= 40
    assert {e.endpoint for e in refused} == {"global"}


async def test_a_probe_is_never_refused_by_the_throttle_and_its_success_clears_it() -> None:
    clock = FakeClock()
    r = router(clock, throttle=True, threshold=20)
    await overload(r, "us-central1")  # 20 rejections fill the throttle's window and open it
    assert r.throttles["us-central1"].probability() > 0.9
    clock.advance(60.0)
    probe = await r.choose(MODEL, pinned="us-central1")
    assert probe.permit.probe
    await r.report(probe, None)
    assert r.throttles["us-central1"].probability() == 0.0


async def test_regions_whose_day_is_spent_are_passed_over_until_their_reset() -> None:
    clock = FakeClock()
    r = router(clock)
    spent = DailyQuotaExhausted("per day", status=429)
    first = await r.choose(MODEL)
    assert r.spend_day(first, MODEL, 3_600.0) is True  # two regions left
    assert r.next_start(first, spent) == 1
    assert r.next_start(first, spent, pinned=True) == 0
    assert (await r.choose(MODEL)).endpoint.name == "europe-west1"
    assert r.likely(MODEL) == 1
    with pytest.raises(DailyQuotaExhausted) as pinned:
        r.precheck(MODEL, pinned="us-central1")
    assert pinned.value.retry_delay == 3_600.0
    assert r.spend_day(await r.choose(MODEL), MODEL, 1_800.0) is True
    assert r.spend_day(await r.choose(MODEL), MODEL, 1_800.0) is False  # none left
    with pytest.raises(DailyQuotaExhausted):
        r.precheck(MODEL)
    with pytest.raises(DailyQuotaExhausted):
        await r.choose(MODEL)
    clock.advance(1_800.0)  # two regions' days reset; the first one's an hour in
    assert (await r.choose(MODEL)).endpoint.name == "europe-west1"
    clock.advance(1_800.0)
    assert (await r.choose(MODEL)).endpoint.name == "us-central1"


async def test_an_open_circuit_is_said_before_a_spent_day_when_no_endpoint_is_left() -> None:
    clock = FakeClock()
    r = router(clock, threshold=1)
    first = await r.choose(MODEL, pinned="us-central1")
    r.spend_day(first, MODEL, 3_600.0)
    for region in REGIONS[1:]:
        await r.report(await r.choose(MODEL, pinned=region), S503)  # opens its circuit
    with pytest.raises(CircuitOpen):
        r.precheck(MODEL)
    with pytest.raises(CircuitOpen):
        await r.choose(MODEL)


async def test_developer_api_base_urls_share_one_day() -> None:
    endpoints = [Endpoint("developer", "v1beta", f"http://127.0.0.1:{p}") for p in (1, 2)]
    r = Router(endpoints, MemoryBreakers(BreakerPolicy(), FakeClock()), None, FakeClock())
    route = await r.choose(MODEL)
    assert r.spend_day(route, MODEL, 60.0) is False
    assert r.next_start(route, DailyQuotaExhausted("per day", status=429)) == 0
    assert (await r.choose(MODEL)).position == 0  # the router passes nothing over
