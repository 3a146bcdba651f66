"""In-process metrics: counts of outcomes and retries, and latency percentiles.

A listener on the :class:`~gemgate.observability.events.EventBus`; the CLI summary reads it.
Its memory is bounded however long the client lives: latencies are kept exactly up to
:data:`EXACT_SAMPLES`, then only as buckets 1% wide (:class:`Latencies`).
"""

from __future__ import annotations

import math
from collections import Counter

from gemgate.observability.events import (
    AttemptFailed,
    CircuitChanged,
    Event,
    RequestFinished,
    RequestState,
)

__all__ = ["EXACT_SAMPLES", "Latencies", "Metrics", "percentile"]

EXACT_SAMPLES = 10_000
_GROWTH = 1.01  # each bucket's upper bound is 1% above its lower one
_LOG_GROWTH = math.log(_GROWTH)
_LONGEST_MS = 1e12  # 31 years: longer samples are counted as this


def percentile(sorted_values: list[float], q: float) -> float:
    """Nearest-rank percentile (``q`` in 0..100) of already sorted values; 0.0 when empty."""
    if not sorted_values:
        return 0.0
    rank = max(1, math.ceil(q / 100 * len(sorted_values)))
    return sorted_values[min(rank, len(sorted_values)) - 1]


class Latencies:
    """Latency samples (ms) in bounded memory, for nearest-rank percentiles.

    Exact while there are at most ``exact_up_to`` samples. Past that, a percentile comes from
    buckets 1% wide (about 2,100 of them span 1 µs to 10 minutes): the answer is the geometric
    middle of the bucket that holds the nearest-rank sample, within 0.5% of it (for samples of
    1 µs and more; shorter ones share one bucket), and never outside the smallest and largest
    sample seen (which are exact: p0 and p100).
    """

    def __init__(self, exact_up_to: int = EXACT_SAMPLES) -> None:
        self.count = 0
        self._exact_up_to = exact_up_to
        self._exact: list[float] | None = []
        self._buckets: Counter[int] = Counter()
        self._low = math.inf
        self._high = -math.inf

    def add(self, ms: float) -> None:
        """One sample; a negative one (a clock that stepped back) counts as 0, a NaN or an
        infinity (no real duration) is not counted."""
        if not math.isfinite(ms):
            return
        ms = min(max(ms, 0.0), _LONGEST_MS)
        self.count += 1
        self._low, self._high = min(self._low, ms), max(self._high, ms)
        self._buckets[_bucket(ms)] += 1
        if self._exact is not None:
            if self.count <= self._exact_up_to:
                self._exact.append(ms)
            else:
                self._exact = None

    def percentile(self, q: float) -> float:
        """Nearest-rank percentile (``q`` in 0..100); 0.0 when there are no samples."""
        if self.count == 0:
            return 0.0
        if self._exact is not None:
            return percentile(sorted(self._exact), q)
        rank = min(max(1, math.ceil(q / 100 * self.count)), self.count)
        if rank == 1 or rank == self.count:
            return self._low if rank == 1 else self._high
        seen = 0
        for index in sorted(self._buckets):
            seen += self._buckets[index]
            if seen >= rank:
                return min(max(_middle(index), self._low), self._high)
        return self._high  # not reached: the buckets hold every sample

    @property
    def buckets(self) -> int:
        """How many buckets are in use (the memory the samples take past the exact ones)."""
        return len(self._buckets)


def _bucket(ms: float) -> int:
    """The bucket of ``ms``: ``[1.01**i, 1.01**(i+1))`` µs; everything under 1 µs is bucket -1."""
    us = ms * 1000
    return -1 if us < 1 else int(math.log(us) / _LOG_GROWTH)


def _middle(index: int) -> float:
    """The geometric middle of a bucket, in ms."""
    return _GROWTH ** (index + 0.5) / 1000 if index >= 0 else 0.0


class Metrics:
    """Counts and latencies of finished requests."""

    def __init__(self) -> None:
        self.outcomes: Counter[str] = Counter()
        self.retries = 0
        self.errors: Counter[str] = Counter()
        self.latencies = Latencies()
        self.queue_ms = 0.0
        self.throttled_ms = 0.0
        self.gave_up: Counter[str] = Counter()
        self.failed_by: Counter[str] = Counter()  # requests that did not complete, by error
        self.circuits_opened: Counter[str] = Counter()  # by "endpoint/model"

    def __call__(self, event: Event) -> None:
        if isinstance(event, AttemptFailed):
            if event.retry_in_s is not None:
                self.retries += 1
            elif event.gave_up:
                self.gave_up[event.gave_up] += 1
            self.errors[event.error] += 1
        elif isinstance(event, CircuitChanged):
            if event.new == "open":
                self.circuits_opened[f"{event.endpoint}/{event.model}"] += 1
        elif isinstance(event, RequestFinished):
            self.outcomes[event.state.value] += 1
            if event.state in (RequestState.FAILED, RequestState.REJECTED) and event.error_type:
                self.failed_by[event.error_type] += 1
            if event.attempts:  # refused before sending (an open circuit): no latency to speak of
                self.latencies.add(event.latency_ms)
            self.queue_ms += event.queue_ms
            self.throttled_ms += event.throttled_ms

    def latency_percentiles(self) -> dict[str, float]:
        return {f"p{q}": round(self.latencies.percentile(q), 1) for q in (50, 95, 99)}
