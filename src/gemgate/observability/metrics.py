"""In-process metrics: counts of outcomes and retries, and latency percentiles.

A listener on the :class:`~gemgate.observability.events.EventBus`; the CLI summary reads it.
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

__all__ = ["Metrics", "percentile"]


def percentile(sorted_values: list[float], q: float) -> float:
    """Nearest-rank percentile (``q`` in 0..100) of already sorted values; 0.0 when empty."""
    if not sorted_values:
        return 0.0
    rank = max(1, math.ceil(q / 100 * len(sorted_values)))
    return sorted_values[min(rank, len(sorted_values)) - 1]


class Metrics:
    """Counts and latencies of finished requests."""

    def __init__(self) -> None:
        self.outcomes: Counter[str] = Counter()
        self.retries = 0
        self.errors: Counter[str] = Counter()
        self.latencies_ms: list[float] = []
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
            self.latencies_ms.append(event.latency_ms)
            self.queue_ms += event.queue_ms
            self.throttled_ms += event.throttled_ms

    def latency_percentiles(self) -> dict[str, float]:
        values = sorted(self.latencies_ms)
        return {f"p{q}": round(percentile(values, q), 1) for q in (50, 95, 99)}
