"""Latency percentiles: exact for a batch, bounded memory for a client that lives for months."""

from __future__ import annotations

import math
import random

from gemgate.observability import Latencies, Metrics, RequestFinished, RequestState
from gemgate.observability.metrics import percentile
from gemgate.wire import Usage


def lognormal(n: int, seed: int) -> list[float]:
    rng = random.Random(seed)
    return [rng.lognormvariate(6.5, 1.2) for _ in range(n)]  # around 700 ms, long tail


def recorded(samples: list[float], exact_up_to: int) -> Latencies:
    latencies = Latencies(exact_up_to=exact_up_to)
    for ms in samples:
        latencies.add(ms)
    return latencies


def test_up_to_the_exact_limit_percentiles_are_the_nearest_rank_samples() -> None:
    samples = lognormal(1_000, seed=1)
    latencies = recorded(samples, exact_up_to=1_000)
    ordered = sorted(samples)
    for q in (0, 1, 50, 95, 99, 100):
        assert latencies.percentile(q) == percentile(ordered, q)


def test_past_the_exact_limit_percentiles_stay_within_half_a_percent() -> None:
    samples = lognormal(50_000, seed=2)
    latencies = recorded(samples, exact_up_to=1_000)
    ordered = sorted(samples)
    for q in (1, 10, 50, 90, 95, 99, 99.9):
        exact = percentile(ordered, q)
        assert abs(latencies.percentile(q) - exact) <= 0.0051 * exact, q
    assert latencies.percentile(100) == ordered[-1]
    assert latencies.percentile(0) == ordered[0]
    assert latencies.count == 50_000
    # 50,000 samples in at most a few hundred buckets: memory grows with the spread, not the count
    assert latencies.buckets < 1_500


def test_memory_stays_bounded_however_many_requests_finish() -> None:
    latencies = Latencies(exact_up_to=100)
    rng = random.Random(3)
    for _ in range(200_000):
        latencies.add(rng.uniform(0.0, 600_000.0))  # anything from 0 to 10 minutes
    assert latencies.buckets <= 2_100  # 1 µs .. 10 min in steps of 1%
    assert abs(latencies.percentile(50) - 300_000) < 0.02 * 300_000


def test_equal_samples_report_that_value_not_a_bucket_middle() -> None:
    latencies = Latencies(exact_up_to=10)
    for _ in range(100):
        latencies.add(812.3)
    assert latencies.percentile(50) == 812.3
    assert latencies.percentile(99) == 812.3


def test_no_samples_and_sub_microsecond_samples() -> None:
    latencies = Latencies(exact_up_to=1)
    assert latencies.percentile(50) == 0.0
    for ms in (0.0, 0.0001, -1.0):  # a clock that stepped back counts as 0
        latencies.add(ms)
    assert latencies.percentile(50) == 0.0
    assert latencies.percentile(100) == 0.0001


def test_a_sample_that_is_no_duration_is_not_counted_and_breaks_nothing() -> None:
    latencies = Latencies(exact_up_to=1)
    for ms in (120.0, math.nan, math.inf, -math.inf, 80.0, 1e306):
        latencies.add(ms)
    assert latencies.count == 3
    assert latencies.percentile(0) == 80.0
    assert latencies.percentile(100) == 1e12  # longer than 31 years is counted as that


def test_metrics_feed_finished_requests_into_the_percentiles() -> None:
    metrics = Metrics()
    for i, ms in enumerate((120.0, 80.0, 400.0, 95.0)):
        metrics(
            RequestFinished(
                request_id=f"r{i}",
                model="gemini-2.5-flash",
                state=RequestState.COMPLETED,
                attempts=1,
                latency_ms=ms,
                queue_ms=1.0,
                throttled_ms=0.0,
                region=None,
                user=None,
                feature=None,
                team=None,
                usage=Usage(),
                cost_usd=None,
            )
        )
    assert metrics.latency_percentiles() == {"p50": 95.0, "p95": 400.0, "p99": 400.0}
    assert metrics.outcomes["COMPLETED"] == 4
