"""The retry budget and client-side adaptive throttling, on a fake clock."""

from __future__ import annotations

import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gemgate.clock import FakeClock
from gemgate.resilience import AdaptiveThrottle, RetryBudget, WindowCounts

# --- the retry budget ------------------------------------------------------------------------


def test_when_everything_fails_retries_add_a_tenth_of_the_requests_plus_the_floor() -> None:
    clock = FakeClock()
    budget = RetryBudget(clock, ratio=0.1, min_per_s=1.0, window_s=10.0)
    for _ in range(200):
        budget.request()
    granted = sum(budget.try_retry() for _ in range(200 * 4))
    assert granted == 20 + 10  # 10% of 200, plus 1/s over the 10 s window


def test_the_ratio_is_exact_with_no_float_drift() -> None:
    budget = RetryBudget(FakeClock(), ratio=0.1, min_per_s=0.0)
    for _ in range(30):
        budget.request()
    assert budget.allowed() == 3  # 0.1 * 30 in floats is 3.0000000000000004; in thousandths, 3


def test_a_refused_retry_spends_nothing() -> None:
    budget = RetryBudget(FakeClock(), ratio=0.0, min_per_s=0.1, window_s=10.0)
    assert budget.try_retry()
    assert not budget.try_retry()
    assert budget.allowed() == 0


def test_the_budget_refills_as_old_retries_leave_the_window() -> None:
    clock = FakeClock()
    budget = RetryBudget(clock, ratio=0.0, min_per_s=0.5, window_s=10.0)
    assert [budget.try_retry() for _ in range(6)] == [True] * 5 + [False]
    clock.advance(10.0)
    assert budget.allowed() == 5


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(0, 20), st.integers(0, 20), st.floats(0, 3, allow_nan=False)),
        max_size=40,
    )
)
def test_no_retry_is_granted_past_the_budget(plan: list[tuple[int, int, float]]) -> None:
    """Whenever a retry is granted, the retries in the window (it included) are at most
    ratio * requests + floor of that window."""
    clock = FakeClock()
    budget = RetryBudget(clock, ratio=0.1, min_per_s=1.0, window_s=10.0)
    for requests, retries, wait in plan:
        for _ in range(requests):
            budget.request()
        for _ in range(retries):
            if budget.try_retry():
                counted_requests, counted_retries = budget._counts.current()
                assert counted_retries * 1000 <= 100 * counted_requests + 10_000
        clock.advance(wait)


# --- the sliding window of counts ------------------------------------------------------------


def test_counts_leave_the_window_slot_by_slot() -> None:
    clock = FakeClock()
    counts = WindowCounts(clock, 10.0, slots=10)
    counts.add(0, 0, 0, 0, 0)
    clock.advance(5.0)
    counts.add(1, 1)
    assert counts.current() == [5, 2]
    clock.advance(5.0)
    assert counts.current() == [0, 2]
    clock.advance(5.0)
    assert counts.current() == [0, 0]


# --- adaptive throttling ---------------------------------------------------------------------


def throttle(clock: FakeClock, **kw: object) -> AdaptiveThrottle:
    return AdaptiveThrottle(clock, rng=random.Random(3), **kw)  # type: ignore[arg-type]


def test_the_probability_is_the_sre_books_formula() -> None:
    t = throttle(FakeClock(), k=2.0, min_requests=0)
    for accepted in [True] * 10 + [False] * 90:
        t.outcome(accepted)
    assert t.probability() == pytest.approx((100 - 2 * 10) / 101)


def test_an_endpoint_accepting_half_of_its_requests_sees_no_refusal() -> None:
    t = throttle(FakeClock(), k=2.0, min_requests=0)
    for i in range(100):
        t.outcome(i % 2 == 0)
    assert t.probability() == 0.0
    assert not any(t.refuse() for _ in range(1000))


def test_a_dead_endpoint_is_refused_locally_almost_always() -> None:
    t = throttle(FakeClock(), k=2.0, min_requests=20)
    for _ in range(100):
        t.outcome(False)
    refused = sum(bool(t.refuse()) for _ in range(1000))
    assert 950 <= refused < 1000  # a trickle still goes out and can see the recovery


def test_requests_in_flight_are_not_counted_as_rejections() -> None:
    """A burst that has left but not yet been answered must not throttle the next one."""
    t = throttle(FakeClock(), min_requests=0)
    assert [t.refuse() for _ in range(64)] == [0.0] * 64
    assert t.probability() == 0.0


def test_a_fresh_client_does_not_throttle_on_its_first_failure() -> None:
    t = throttle(FakeClock(), min_requests=20)
    t.outcome(False)
    assert t.probability() == 0.0


def test_the_probability_falls_as_accepts_return_and_old_rejections_leave() -> None:
    clock = FakeClock()
    t = throttle(clock, window_s=120.0)
    for _ in range(100):
        t.outcome(False)
    high = t.probability()
    for _ in range(30):
        t.outcome(True)
    assert t.probability() < high
    clock.advance(121.0)
    assert t.probability() == 0.0


def test_k_below_one_is_refused() -> None:
    with pytest.raises(ValueError, match="k below 1"):
        AdaptiveThrottle(FakeClock(), k=0.5)
