"""Both limit stores, one specification: the same calls give the same grants and waits.

Each test runs on ``MemoryStore`` with a fake clock (waits exact) and on ``RedisStore`` against
a real redis-server, whose TIME is the clock (waits exact less the real time that passed).
"""

from __future__ import annotations

import pytest

from gemgate.errors import ExceedsLimit
from gemgate.ratelimit import BucketSpec, DailySpec, Dimension
from gemgate.ratelimit.store.base import pacific_day

from .conftest import Backend

SCOPE = "k:1a2b3c4d:gemini-2.5-flash"
ONE_PER_100MS = BucketSpec(capacity=2, refill=2, window_us=200_000)  # burst 2, then 1 per 0.1 s


def requests(cost: int = 1, spec: BucketSpec = ONE_PER_100MS) -> Dimension:
    return Dimension("requests", spec, cost)


def tokens(cost: int, spec: BucketSpec | None = None) -> Dimension:
    return Dimension("tokens", spec or BucketSpec(10, 10, 200_000), cost)


async def test_a_full_bucket_grants_its_burst_at_once_and_no_more(backend: Backend) -> None:
    backend.mark()
    first = [await backend.store.acquire(SCOPE, [requests()]) for _ in range(2)]
    assert [g.granted for g in first] == [True, True]
    backend.assert_wait(await backend.store.acquire(SCOPE, [requests()]), 0.1)


async def test_a_refused_cost_is_told_the_exact_wait_for_its_size(backend: Backend) -> None:
    backend.mark()
    assert (await backend.store.acquire(SCOPE, [requests(2)])).granted
    backend.assert_wait(await backend.store.acquire(SCOPE, [requests(2)]), 0.2)


async def test_after_the_wait_the_cost_fits(backend: Backend) -> None:
    await backend.store.acquire(SCOPE, [requests(2)])
    refused = await backend.store.acquire(SCOPE, [requests(1)])
    await backend.advance(refused.wait_s)
    assert (await backend.store.acquire(SCOPE, [requests(1)])).granted


async def test_dimensions_are_taken_all_or_nothing(backend: Backend) -> None:
    assert (await backend.store.acquire(SCOPE, [requests(), tokens(8)])).granted
    refused = await backend.store.acquire(SCOPE, [requests(), tokens(5)])
    assert not refused.granted
    # the refused request took no request unit: one is still there, and only one
    assert (await backend.store.acquire(SCOPE, [requests()])).granted
    assert not (await backend.store.acquire(SCOPE, [requests()])).granted


async def test_the_wait_of_several_dimensions_is_the_longest(backend: Backend) -> None:
    backend.mark()
    await backend.store.acquire(SCOPE, [requests(2), tokens(10)])  # tokens refill 1 per 20 ms
    grant = await backend.store.acquire(SCOPE, [requests(1), tokens(10)])
    backend.assert_wait(grant, 0.2)


async def test_a_cost_of_zero_always_fits_and_takes_nothing(backend: Backend) -> None:
    await backend.store.acquire(SCOPE, [requests(2)])
    assert (await backend.store.acquire(SCOPE, [requests(0), tokens(10)])).granted
    assert not (await backend.store.acquire(SCOPE, [tokens(1)])).granted


async def test_a_cost_above_a_bucket_capacity_raises_at_once(backend: Backend) -> None:
    with pytest.raises(ExceedsLimit) as caught:
        await backend.store.acquire(SCOPE, [requests(), tokens(11)])
    assert (caught.value.dimension, caught.value.cost, caught.value.capacity) == ("tokens", 11, 10)
    assert (await backend.store.acquire(SCOPE, [requests(2)])).granted  # nothing was taken


async def test_a_cost_above_a_daily_limit_raises_at_once(backend: Backend) -> None:
    with pytest.raises(ExceedsLimit) as caught:
        await backend.store.acquire(SCOPE, [Dimension("requests_per_day", DailySpec(3), 4)])
    assert (caught.value.cost, caught.value.capacity) == (4, 3)


async def test_a_refund_gives_back_what_was_taken(backend: Backend) -> None:
    await backend.store.acquire(SCOPE, [tokens(10)])
    await backend.store.adjust(SCOPE, tokens(0), 4)
    assert (await backend.store.acquire(SCOPE, [tokens(4)])).granted
    assert not (await backend.store.acquire(SCOPE, [tokens(1)])).granted


async def test_a_refund_never_fills_a_bucket_above_its_capacity(backend: Backend) -> None:
    await backend.store.acquire(SCOPE, [tokens(2)])
    await backend.store.adjust(SCOPE, tokens(0), 100)
    assert (await backend.store.acquire(SCOPE, [tokens(10)])).granted
    assert not (await backend.store.acquire(SCOPE, [tokens(1)])).granted


async def test_an_extra_charge_is_a_debt_later_requests_wait_out(backend: Backend) -> None:
    backend.mark()
    await backend.store.acquire(SCOPE, [requests(1)])
    await backend.store.adjust(SCOPE, requests(0), -3)  # level 1 - 3 = -2 units
    backend.assert_wait(await backend.store.acquire(SCOPE, [requests(1)]), 0.3)


async def test_a_pause_refuses_the_dimension_until_it_ends(backend: Backend) -> None:
    backend.mark()
    await backend.store.pause(SCOPE, "requests", 0.25)
    backend.assert_wait(await backend.store.acquire(SCOPE, [requests(), tokens(1)]), 0.25)
    await backend.advance(0.25)
    assert (await backend.store.acquire(SCOPE, [requests(), tokens(1)])).granted


async def test_a_pause_holds_only_its_own_scope_and_name(backend: Backend) -> None:
    await backend.store.pause(SCOPE, "requests", 10)
    assert (await backend.store.acquire(SCOPE, [tokens(1)])).granted
    assert (await backend.store.acquire("k:other:gemini-2.5-flash", [requests()])).granted


async def test_a_shorter_pause_does_not_cut_a_longer_one(backend: Backend) -> None:
    backend.mark()
    await backend.store.pause(SCOPE, "requests", 0.3)
    await backend.store.pause(SCOPE, "requests", 0.1)
    backend.assert_wait(await backend.store.acquire(SCOPE, [requests()]), 0.3)


async def test_a_wait_covers_both_a_pause_and_an_empty_bucket(backend: Backend) -> None:
    backend.mark()
    await backend.store.acquire(SCOPE, [tokens(10)])
    await backend.store.pause(SCOPE, "requests", 0.05)
    backend.assert_wait(await backend.store.acquire(SCOPE, [requests(), tokens(10)]), 0.2)


async def test_scopes_have_separate_buckets(backend: Backend) -> None:
    await backend.store.acquire(SCOPE, [requests(2)])
    assert (await backend.store.acquire("k:1a2b3c4d:gemini-2.5-pro", [requests(2)])).granted


async def test_a_spent_daily_counter_waits_until_midnight_pacific(backend: Backend) -> None:
    rpd = Dimension("requests_per_day", DailySpec(2), 1)
    assert (await backend.store.acquire(SCOPE, [rpd, requests()])).granted
    assert (await backend.store.acquire(SCOPE, [rpd])).granted
    before = await backend.wall_us()
    grant = await backend.store.acquire(SCOPE, [rpd, requests()])
    after = await backend.wall_us()
    midnight = pacific_day(before)[2]
    assert not grant.granted
    assert (midnight - after) / 1e6 <= grant.wait_s <= (midnight - before) / 1e6
    assert (await backend.store.acquire(SCOPE, [requests()])).granted  # nothing was taken


async def test_a_daily_refund_gives_a_request_back(backend: Backend) -> None:
    rpd = Dimension("requests_per_day", DailySpec(1), 1)
    assert (await backend.store.acquire(SCOPE, [rpd])).granted
    await backend.store.adjust(SCOPE, rpd, 1)
    assert (await backend.store.acquire(SCOPE, [rpd])).granted
    assert not (await backend.store.acquire(SCOPE, [rpd])).granted


async def test_a_daily_extra_charge_counts_against_the_day(backend: Backend) -> None:
    rpd = Dimension("requests_per_day", DailySpec(5), 1)
    await backend.store.adjust(SCOPE, rpd, -4)
    assert (await backend.store.acquire(SCOPE, [rpd])).granted
    assert not (await backend.store.acquire(SCOPE, [rpd])).granted


async def test_a_refusal_says_whether_it_lasts_until_the_daily_reset(backend: Backend) -> None:
    """A spent daily counter or a paused daily dimension (a per-day 429) is flagged ``daily``,
    even at cost 0; a bucket's wait or another dimension's pause is not, however long."""
    spent = Dimension("requests_per_day", DailySpec(1), 1)
    assert (await backend.store.acquire(SCOPE, [spent])).granted
    assert (await backend.store.acquire(SCOPE, [spent, requests()])).daily
    await backend.store.acquire(SCOPE, [tokens(10)])
    await backend.store.pause(SCOPE, "requests", 3_600)
    other = "k:other:gemini-2.5-flash"
    assert not (await backend.store.acquire(SCOPE, [requests(), tokens(10)])).daily
    free_day = Dimension("requests_per_day", DailySpec(10**12), 0)
    assert (await backend.store.acquire(other, [free_day, requests()])).granted
    await backend.store.pause(other, "requests_per_day", 3_600)
    grant = await backend.store.acquire(other, [free_day, requests()])
    assert (grant.granted, grant.daily) == (False, True)
