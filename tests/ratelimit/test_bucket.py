"""The token bucket on integer time: what it admits, how long it says to wait, what it refunds."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gemgate.errors import ExceedsLimit
from gemgate.ratelimit.bucket import (
    MAX_SCALED,
    BucketSpec,
    BucketState,
    Rate,
    adjust,
    default_allowance,
    level_at,
    take,
    wait_us,
)

specs = st.builds(
    BucketSpec,
    capacity=st.integers(1, 1_000),
    refill=st.integers(1, 1_000),
    window_us=st.integers(1, 100_000_000),
)


@st.composite
def bucket_states(draw: st.DrawFn, spec: BucketSpec) -> BucketState:
    """Any reachable state: full, part-full or in debt, stamped at any time."""
    cap = spec.capacity * spec.window_us
    return BucketState(draw(st.integers(-3 * cap, cap)), draw(st.integers(0, 10**9)))


# --- for_rate: the defaults ----------------------------------------------------------------------


def test_a_per_minute_rate_gets_a_small_burst_and_a_stretched_window() -> None:
    assert BucketSpec.for_rate(Rate(1_000, 60.0)) == BucketSpec(25, 975, 60_500_000)


def test_a_50_per_5s_rate_gets_burst_1_and_a_window_stretched_by_the_100_ms_floor() -> None:
    assert BucketSpec.for_rate(Rate(50, 5.0)) == BucketSpec(1, 49, 5_100_000)


def test_a_burst_of_the_whole_amount_is_opting_into_exceeding_it() -> None:
    assert BucketSpec.for_rate(Rate(60, 60.0), burst=60) == BucketSpec(60, 60, 60_500_000)


def test_an_explicit_allowance_replaces_the_default_stretch() -> None:
    assert BucketSpec.for_rate(Rate(60, 60.0), allowance_s=0).window_us == 60_000_000
    assert BucketSpec.for_rate(Rate(60, 60.0), allowance_s=2).window_us == 62_000_000


@given(st.integers(2, 10**7), st.floats(0.001, 3_600))
def test_default_burst_plus_refill_stays_within_the_amount(amount: int, window_s: float) -> None:
    spec = BucketSpec.for_rate(Rate(amount, window_s))
    assert spec.capacity + spec.refill <= amount
    assert spec.window_us > round(window_s * 1_000_000)


def test_a_rate_of_one_is_one_per_twice_stretched_window() -> None:
    assert BucketSpec.for_rate(Rate(1, 60.0)) == BucketSpec(1, 1, 61_000_000)


def admitted_greedily(spec: BucketSpec, cost: int, until_us: int) -> list[int]:
    """The times a caller that always takes ``cost`` as soon as it fits gets it."""
    state, now, times = BucketState.full(spec, 0), 0, []
    while now <= until_us:
        states, wait = take([(spec, state, cost)], now)
        if states is None:
            now += wait
            continue
        state = states[0]
        times.append(now)
    return times


def most_in_any_window(times: list[int], window_us: int) -> int:
    """The most admissions in any closed interval [t, t + window_us]."""
    start, most = 0, 0
    for end, at in enumerate(times):
        while at - times[start] > window_us:
            start += 1
        most = max(most, end - start + 1)
    return most


def test_50_per_5s_reaches_95_percent_of_the_rate_over_4_windows() -> None:
    spec = BucketSpec.for_rate(Rate(50, 5.0))
    times = admitted_greedily(spec, 1, 20_000_000 - 1)
    assert len(times) >= 190
    assert most_in_any_window(times, 5_000_000) <= 50


@given(
    st.integers(1, 200),
    st.sampled_from([1.0, 5.0, 60.0]),
    st.integers(1, 3),
    st.one_of(st.none(), st.sampled_from([0.001, 0.02, 0.25, 1.0])),
)
def test_defaults_never_put_more_than_the_amount_in_any_window(
    amount: int, window_s: float, cost: int, allowance: float | None
) -> None:
    """Even when a request lands up to the allowance (default or given) later than decided."""
    spec = BucketSpec.for_rate(Rate(amount, window_s), allowance_s=allowance)
    cost = min(cost, spec.capacity)
    times = admitted_greedily(spec, cost, 4 * spec.window_us)
    allowance_s = default_allowance(window_s) if allowance is None else allowance
    assert most_in_any_window(times, round((window_s + allowance_s) * 1e6)) * cost <= amount


def test_a_rate_of_one_is_stretched_by_twice_the_allowance_given_or_default() -> None:
    assert BucketSpec.for_rate(Rate(1, 60.0)) == BucketSpec(1, 1, 61_000_000)
    assert BucketSpec.for_rate(Rate(1, 1.0), allowance_s=0.02) == BucketSpec(1, 1, 1_040_000)


def test_for_rate_refuses_nonsense() -> None:
    with pytest.raises(ValueError, match="positive"):
        Rate(0, 60.0)
    with pytest.raises(ValueError, match="burst"):
        BucketSpec.for_rate(Rate(10, 60.0), burst=0)
    with pytest.raises(ValueError, match="allowance"):
        BucketSpec.for_rate(Rate(10, 60.0), allowance_s=-1)


def test_a_spec_beyond_exact_double_arithmetic_is_refused() -> None:
    with pytest.raises(ValueError, match="too large"):
        BucketSpec(capacity=MAX_SCALED // 60_000_000 + 1, refill=1, window_us=60_000_000)


# --- admission ----------------------------------------------------------------------------------


@st.composite
def schedules(draw: st.DrawFn) -> tuple[BucketSpec, list[tuple[int, str, int]]]:
    spec = draw(specs)
    ops = draw(
        st.lists(
            st.tuples(
                st.integers(0, 2 * spec.window_us),
                st.sampled_from(["take", "refund", "charge"]),
                st.integers(0, spec.capacity),
            ),
            max_size=60,
        )
    )
    return spec, ops


@given(schedules())
def test_never_admits_more_than_capacity_plus_refill_over_the_elapsed_time(
    schedule: tuple[BucketSpec, list[tuple[int, str, int]]],
) -> None:
    """Whatever the takes, refunds (of at most what was taken) and extra charges."""
    spec, ops = schedule
    state, now, net = BucketState.full(spec, 0), 0, 0
    unrefunded: list[int] = []
    for step, op, amount in ops:
        now += step
        if op == "take" and amount:  # (a cost of 0 takes nothing and always fits)
            states, _ = take([(spec, state, amount)], now)
            if states is not None:
                state, net = states[0], net + amount
                unrefunded.append(amount)
                bound = spec.capacity * spec.window_us + spec.refill * now
                assert net * spec.window_us <= bound
        elif op == "refund" and unrefunded:
            back = min(amount, unrefunded.pop())
            state, net = adjust(spec, state, back, now), net - back
        elif op == "charge":
            state, net = adjust(spec, state, -amount, now), net + amount


@given(st.data(), specs)
def test_wait_is_exact(data: st.DataObject, spec: BucketSpec) -> None:
    """At now + wait the cost fits; one microsecond earlier it does not."""
    state = data.draw(bucket_states(spec))
    cost = data.draw(st.integers(1, spec.capacity))
    now = data.draw(st.integers(0, 2 * 10**9))
    wait = wait_us(spec, state, cost, now)
    need = cost * spec.window_us
    assert wait >= 0
    assert level_at(spec, state, now + wait) >= need
    if wait:
        assert level_at(spec, state, now + wait - 1) < need
        assert take([(spec, state, cost)], now + wait - 1)[0] is None
    assert take([(spec, state, cost)], now + wait)[0] is not None


def test_a_known_wait() -> None:
    spec = BucketSpec.for_rate(Rate(50, 5.0))
    empty = BucketState(0, 1_000)
    assert wait_us(spec, empty, 1, 1_000) == 104_082  # ceil(5_100_000 / 49)
    assert wait_us(spec, empty, 1, 51_000) == 54_082


def test_a_clock_that_steps_back_refills_nothing() -> None:
    spec = BucketSpec(10, 10, 1_000)
    state = BucketState(5_000, 2_000)
    assert level_at(spec, state, 1_000) == 5_000
    assert take([(spec, state, 1)], 1_000)[0] == (BucketState(4_000, 2_000),)


def test_a_cost_above_capacity_raises_exceeds_limit_naming_the_dimension() -> None:
    spec = BucketSpec(10, 10, 1_000)
    with pytest.raises(ExceedsLimit) as caught:
        wait_us(spec, BucketState.full(spec, 0), 11, 0, name="tokens")
    assert (caught.value.dimension, caught.value.cost, caught.value.capacity) == ("tokens", 11, 10)
    with pytest.raises(ExceedsLimit):
        take([(spec, BucketState.full(spec, 0), 11)], 0)


def test_a_cost_of_zero_fits_even_a_bucket_in_debt() -> None:
    spec = BucketSpec(10, 10, 1_000)
    debt = BucketState(-50_000, 0)
    assert wait_us(spec, debt, 0, 0) == 0
    assert take([(spec, debt, 0)], 0) == ((debt,), 0)


# --- all-or-nothing -----------------------------------------------------------------------------


@given(st.data(), st.lists(specs, min_size=1, max_size=4))
def test_take_is_all_or_nothing(data: st.DataObject, many: list[BucketSpec]) -> None:
    now = data.draw(st.integers(0, 2 * 10**9))
    items = [(s, data.draw(bucket_states(s)), data.draw(st.integers(0, s.capacity))) for s in many]
    states, wait = take(items, now)
    singles = [take([item], now) for item in items]
    if all(single[0] is not None for single in singles):
        assert wait == 0
        assert states == tuple(single[0][0] for single in singles if single[0] is not None)
    else:
        assert states is None
        assert wait == max(single[1] for single in singles)
        assert take(items, now + wait)[0] is not None


# --- refunds and extra charges ------------------------------------------------------------------


@given(st.data(), specs)
def test_a_refund_never_raises_the_level_above_capacity(
    data: st.DataObject, spec: BucketSpec
) -> None:
    state = data.draw(bucket_states(spec))
    refunded = adjust(
        spec, state, data.draw(st.integers(0, 10**6)), data.draw(st.integers(0, 10**9))
    )
    assert refunded.level <= spec.capacity * spec.window_us


@given(st.data(), specs)
def test_refunding_at_most_what_was_taken_never_gives_back_more(
    data: st.DataObject, spec: BucketSpec
) -> None:
    state = data.draw(bucket_states(spec))
    cost = data.draw(st.integers(1, spec.capacity))
    took_at = data.draw(st.integers(0, 10**9))
    took_at += wait_us(spec, state, cost, took_at)
    states, _ = take([(spec, state, cost)], took_at)
    assert states is not None
    refund_at = took_at + data.draw(st.integers(0, 10 * spec.window_us))
    refunded = adjust(spec, states[0], data.draw(st.integers(0, cost)), refund_at)
    later = refund_at + data.draw(st.integers(0, 10 * spec.window_us))
    assert level_at(spec, refunded, later) <= level_at(spec, state, later)


def test_an_extra_charge_is_a_debt() -> None:
    spec = BucketSpec(2, 2, 200_000)
    charged = adjust(spec, BucketState(100_000, 0), -3, 0)
    assert charged == BucketState(-500_000, 0)
    assert wait_us(spec, charged, 1, 0) == 350_000
