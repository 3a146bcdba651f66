"""RetryPolicy.decide: which failures are retried, and how long each wait is."""

import random

import pytest

from gemgate.errors import (
    AuthenticationError,
    DailyQuotaExhausted,
    InvalidRequest,
    PromptBlocked,
    RateLimited,
    RequestTimeout,
    ServerError,
)
from gemgate.resilience import GiveUp, Retry, RetryPolicy


def policy(**kw: object) -> RetryPolicy:
    return RetryPolicy(rng=random.Random(7), **kw)  # type: ignore[arg-type]


def test_ceilings_double_from_the_seed_base_and_are_capped() -> None:
    p = policy(base_delay_s=0.1, max_delay_s=0.5)
    assert [p.ceiling(a) for a in range(1, 6)] == [0.1, 0.2, 0.4, 0.5, 0.5]


@pytest.mark.parametrize("attempt", [1, 2, 3, 4])
def test_full_jitter_waits_stay_within_zero_and_the_ceiling(attempt: int) -> None:
    p = policy()
    waits = [p.decide(ServerError("x", status=503), attempt) for _ in range(500)]
    delays = [w.delay for w in waits if isinstance(w, Retry)]
    assert len(delays) == 500
    assert min(delays) >= 0.0
    assert max(delays) <= p.ceiling(attempt)
    assert max(delays) > 0.8 * p.ceiling(attempt)  # spread over the whole range, not a constant


@pytest.mark.parametrize(
    "error",
    [
        ServerError("x", status=500),
        RequestTimeout("x"),
        RateLimited("x", retry_delay=None),
    ],
)
def test_transient_failures_are_retried(error: Exception) -> None:
    assert isinstance(policy().decide(error, 1), Retry)


@pytest.mark.parametrize(
    "error",
    [
        InvalidRequest("x", status=400),
        AuthenticationError("x", status=403),
        PromptBlocked("SAFETY"),
        DailyQuotaExhausted("x", retry_delay=30.0),
        ValueError("not ours"),
    ],
)
def test_permanent_failures_give_up_at_once(error: Exception) -> None:
    assert isinstance(policy().decide(error, 1), GiveUp)


def test_the_last_attempt_gives_up() -> None:
    p = policy(max_attempts=3)
    assert isinstance(p.decide(ServerError("x"), 2), Retry)
    assert isinstance(p.decide(ServerError("x"), 3), GiveUp)


def test_server_retry_delay_is_a_floor_with_jitter_on_top() -> None:
    p = policy()
    delays = [p.decide(RateLimited("x", retry_delay=2.5), 2) for _ in range(200)]
    values = [d.delay for d in delays if isinstance(d, Retry)]
    assert len(values) == 200
    assert min(values) >= 2.5
    assert max(values) <= 2.5 + p.ceiling(2)
    assert len(set(values)) > 150  # waiters told the same delay do not wake together


def test_a_hint_past_the_deadline_gives_up_instead_of_sleeping() -> None:
    decision = policy().decide(RateLimited("x", retry_delay=60.0), 1, remaining_s=10.0)
    assert isinstance(decision, GiveUp)
