"""The circuit breaker's state machine on a fake clock: when it opens, what it lets through,
how it recovers, and the transitions it announces."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gemgate.clock import FakeClock
from gemgate.errors import CircuitOpen
from gemgate.resilience import BreakerPolicy, CircuitBreaker, CircuitState, Transition


def breaker(
    clock: FakeClock, changes: list[Transition] | None = None, **policy: object
) -> CircuitBreaker:
    return CircuitBreaker(
        "us-central1/gemini-2.5-flash",
        BreakerPolicy(**policy),  # type: ignore[arg-type]
        clock=clock,
        on_change=None if changes is None else changes.append,
    )


def fail(b: CircuitBreaker, times: int = 1) -> None:
    for _ in range(times):
        b.failed(b.admit())


def test_the_defaults_are_the_seeds_five_failures_and_sixty_seconds() -> None:
    p = BreakerPolicy()
    assert (p.failure_threshold, p.open_s, p.half_open_probes) == (5, 60.0, 1)


def test_four_failures_keep_it_closed_and_the_fifth_opens_it() -> None:
    clock = FakeClock()
    b = breaker(clock)
    fail(b, 4)
    assert b.state is CircuitState.CLOSED
    fail(b)
    assert b.state is CircuitState.OPEN


def test_a_success_resets_the_count_of_consecutive_failures() -> None:
    b = breaker(FakeClock())
    fail(b, 4)
    b.succeeded(b.admit())
    fail(b, 4)
    assert b.state is CircuitState.CLOSED
    assert b.failures == 4


def test_neutral_outcomes_neither_count_nor_reset() -> None:
    """4xx and 429 are the service answering: not a failure, and not proof of health either."""
    b = breaker(FakeClock())
    fail(b, 4)
    for _ in range(10):
        b.released(b.admit())
    assert b.failures == 4
    fail(b)
    assert b.state is CircuitState.OPEN


def test_an_open_breaker_refuses_at_once_and_says_when_it_will_probe() -> None:
    clock = FakeClock(start=100.0)
    b = breaker(clock)
    fail(b, 5)
    clock.advance(59.9)
    with pytest.raises(CircuitOpen) as info:
        b.admit()
    assert info.value.retry_at == 160.0
    assert info.value.endpoint == "us-central1/gemini-2.5-flash"
    assert b.blocked_until() == 160.0


def test_after_the_open_period_exactly_one_probe_goes_and_the_rest_fail_fast() -> None:
    clock = FakeClock()
    b = breaker(clock)
    fail(b, 5)
    clock.advance(60.0)
    probe = b.admit()
    assert probe.probe
    assert b.state is CircuitState.HALF_OPEN
    for _ in range(20):
        with pytest.raises(CircuitOpen):
            b.admit()


def test_a_successful_probe_closes_it() -> None:
    clock = FakeClock()
    b = breaker(clock)
    fail(b, 5)
    clock.advance(60.0)
    b.succeeded(b.admit())
    assert b.state is CircuitState.CLOSED
    assert b.failures == 0
    assert not b.admit().probe


def test_a_failed_probe_opens_it_for_another_full_period() -> None:
    clock = FakeClock()
    b = breaker(clock)
    fail(b, 5)
    clock.advance(60.0)
    b.failed(b.admit())
    assert b.state is CircuitState.OPEN
    clock.advance(59.0)
    with pytest.raises(CircuitOpen) as info:
        b.admit()
    assert info.value.retry_at == 120.0


def test_a_probe_with_a_neutral_outcome_frees_its_place_for_another() -> None:
    clock = FakeClock()
    b = breaker(clock)
    fail(b, 5)
    clock.advance(60.0)
    b.released(b.admit())  # a 429: says nothing about the endpoint's health
    assert b.state is CircuitState.HALF_OPEN
    assert b.admit().probe


def test_a_probe_that_never_reports_frees_its_place_when_its_lease_ends() -> None:
    clock = FakeClock()
    b = breaker(clock, probe_lease_s=10.0)
    fail(b, 5)
    clock.advance(60.0)
    b.admit()  # hangs, its task cancelled without a word
    clock.advance(9.9)
    with pytest.raises(CircuitOpen) as info:
        b.admit()
    assert info.value.retry_at == 70.0
    clock.advance(0.1)
    assert b.admit().probe


def test_half_open_lets_as_many_probes_as_configured() -> None:
    clock = FakeClock()
    b = breaker(clock, half_open_probes=3)
    fail(b, 5)
    clock.advance(60.0)
    probes = [b.admit() for _ in range(3)]
    assert all(p.probe for p in probes)
    with pytest.raises(CircuitOpen):
        b.admit()


def test_every_transition_is_announced_with_its_time() -> None:
    clock = FakeClock()
    changes: list[Transition] = []
    b = breaker(clock, changes)
    fail(b, 5)
    clock.advance(60.0)
    b.failed(b.admit())
    clock.advance(60.0)
    b.succeeded(b.admit())
    key = b.key
    assert changes == [
        Transition(key, CircuitState.CLOSED, CircuitState.OPEN, 0.0, 60.0),
        Transition(key, CircuitState.OPEN, CircuitState.HALF_OPEN, 60.0),
        Transition(key, CircuitState.HALF_OPEN, CircuitState.OPEN, 60.0, 120.0),
        Transition(key, CircuitState.OPEN, CircuitState.HALF_OPEN, 120.0),
        Transition(key, CircuitState.HALF_OPEN, CircuitState.CLOSED, 120.0),
    ]


def test_a_failure_rate_opens_it_without_consecutive_failures() -> None:
    """Every other call failing never makes 5 in a row, but is a 50% failure rate."""
    clock = FakeClock()
    b = breaker(clock, failure_rate=0.5, rate_min_calls=10, rate_window_s=60.0)
    for i in range(9):
        (b.failed if i % 2 else b.succeeded)(b.admit())
        clock.advance(1.0)
    assert b.state is CircuitState.CLOSED  # 9 calls: fewer than rate_min_calls
    b.succeeded(b.admit())
    b.failed(b.admit())  # 11 calls, 5 failed: 45%
    assert b.state is CircuitState.CLOSED
    b.failed(b.admit())  # 12 calls, 6 failed: 50%
    assert b.state is CircuitState.OPEN


def test_old_outcomes_leave_the_failure_rate_window() -> None:
    clock = FakeClock()
    b = breaker(clock, failure_rate=0.5, rate_min_calls=4, rate_window_s=10.0, failure_threshold=99)
    for _ in range(3):
        b.failed(b.admit())
    clock.advance(11.0)  # those three are out of the window
    for _ in range(3):
        b.succeeded(b.admit())
    b.failed(b.admit())  # 1 of 4 in the window
    assert b.state is CircuitState.CLOSED


def test_the_repr_shows_live_state() -> None:
    clock = FakeClock()
    b = breaker(clock)
    fail(b, 5)
    assert "open" in repr(b)
    assert "us-central1/gemini-2.5-flash" in repr(b)


@pytest.mark.parametrize(
    "policy",
    [
        {"failure_threshold": 0},
        {"half_open_probes": 0},
        {"open_s": -1.0},
        {"probe_lease_s": 0.0},
        {"failure_rate": 1.5},
    ],
)
def test_a_policy_that_cannot_work_is_refused(policy: dict[str, float]) -> None:
    with pytest.raises(ValueError, match=r"breaker|failure_rate"):
        BreakerPolicy(**policy)  # type: ignore[arg-type]


# --- properties ------------------------------------------------------------------------------

Step = tuple[str, float]
steps = st.lists(
    st.tuples(
        st.sampled_from(["success", "failure", "neutral", "silent"]),
        st.floats(min_value=0.0, max_value=30.0, allow_nan=False),
    ),
    max_size=80,
)


@settings(max_examples=300, deadline=None)
@given(steps, st.integers(min_value=1, max_value=3))
def test_nothing_passes_while_open_and_probes_never_exceed_the_limit(
    plan: list[Step], probes: int
) -> None:
    """Whatever happens, an open breaker admits nothing before its open period ends, and no
    more than ``half_open_probes`` unreported probes are ever out at once."""
    clock = FakeClock()
    b = breaker(clock, half_open_probes=probes, failure_threshold=3, open_s=60.0)
    out: list[tuple[float, object]] = []  # probes admitted and not yet reported, with their time
    for outcome, wait in plan:
        clock.advance(wait)
        now = clock.monotonic()
        was_open_until = b.opened_at + 60.0 if b.state is CircuitState.OPEN else None
        try:
            permit = b.admit()
        except CircuitOpen as exc:
            refused_until = exc.retry_at
        else:
            refused_until = None
        if refused_until is not None:
            assert refused_until >= now or b.state is CircuitState.HALF_OPEN
            continue
        assert was_open_until is None or now >= was_open_until
        if permit.probe:
            out = [(t, p) for t, p in out if now < t + b.policy.probe_lease_s]
            out.append((now, permit))
            assert len(out) <= probes
        if outcome == "silent":
            continue
        {"success": b.succeeded, "failure": b.failed, "neutral": b.released}[outcome](permit)
        out = [(t, p) for t, p in out if p is not permit]
        if b.state is not CircuitState.HALF_OPEN:
            out = []


def test_a_probe_reporting_after_its_lease_does_not_free_or_decide_for_the_next() -> None:
    clock = FakeClock()
    b = breaker(clock, probe_lease_s=10.0)
    fail(b, 5)
    clock.advance(60.0)
    stale = b.admit()
    clock.advance(10.0)  # its lease is over
    fresh = b.admit()
    b.released(stale)  # late, and neutral: must not free the fresh probe's place
    with pytest.raises(CircuitOpen):
        b.admit()
    b.succeeded(stale)  # late: must not close the breaker while the fresh probe is out
    assert b.state is CircuitState.HALF_OPEN
    b.failed(fresh)
    assert b.state is CircuitState.OPEN


def test_the_failure_rate_starts_afresh_after_recovery() -> None:
    """The outage's failures are not held against the recovered endpoint."""
    clock = FakeClock()
    b = breaker(
        clock, failure_threshold=50, failure_rate=0.5, rate_min_calls=10, rate_window_s=60.0
    )
    for _ in range(10):
        b.failed(b.admit())
    assert b.state is CircuitState.OPEN
    clock.advance(60.0)
    b.succeeded(b.admit())
    for _ in range(10):
        b.succeeded(b.admit())
    b.failed(b.admit())  # 1 failure in 12 outcomes since it closed
    assert b.state is CircuitState.CLOSED
