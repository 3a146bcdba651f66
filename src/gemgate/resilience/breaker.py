"""The circuit breaker: a small state machine on an injected clock.

::

    CLOSED --(failure_threshold consecutive failures, or the failure rate)--> OPEN
    OPEN --(open_s elapsed)--> HALF_OPEN
    HALF_OPEN --(a probe succeeds)--> CLOSED
    HALF_OPEN --(a probe fails)--> OPEN (for another open_s)

Counted failures are 5xx, timeouts and connection errors; 4xx and 429 are *neutral* (the
service answered; limits are the rate limiter's business). While OPEN, ``admit`` raises
:class:`CircuitOpen` carrying when a probe may go, and nothing is sent. In HALF_OPEN at most
``half_open_probes`` requests pass at once; a probe that never reports (its process died, its
task was cancelled without a word) frees its place after ``probe_lease_s``, and if it reports
later its word no longer counts (each probe carries the *epoch* it was let through in). The
failure-rate window starts afresh when the breaker opens and when it closes.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

from gemgate.clock import Clock
from gemgate.errors import CircuitOpen
from gemgate.resilience.window import WindowCounts

__all__ = ["BreakerPolicy", "CircuitBreaker", "CircuitState", "Permit", "Transition"]


class CircuitState(StrEnum):
    CLOSED = "closed"
    OPEN = "open"
    HALF_OPEN = "half_open"


@dataclass(frozen=True, slots=True)
class BreakerPolicy:
    """When a breaker opens and how it recovers.

    ``failure_rate`` (0 < r <= 1) also opens it when, over the last ``rate_window_s`` seconds
    and at least ``rate_min_calls`` counted outcomes, that share of them failed.
    """

    failure_threshold: int = 5
    open_s: float = 60.0
    half_open_probes: int = 1
    probe_lease_s: float = 120.0
    failure_rate: float | None = None
    rate_window_s: float = 60.0
    rate_min_calls: int = 20

    def __post_init__(self) -> None:
        if self.failure_threshold < 1 or self.half_open_probes < 1:
            raise ValueError("a breaker needs a threshold and a probe count of at least 1")
        if self.open_s < 0 or self.probe_lease_s <= 0:
            raise ValueError("a breaker's open period is >= 0 and its probe lease > 0")
        if self.failure_rate is not None and not 0 < self.failure_rate <= 1:
            raise ValueError("failure_rate is a share in (0, 1]")


@dataclass(frozen=True, slots=True)
class Permit:
    """Leave to send one request; hand it back with the outcome."""

    key: str
    probe: bool = False
    epoch: int = 0  # a probe's: the breaker's epoch when it was let through
    local: bool = False  # let through by this process alone (shared state unreachable)


@dataclass(frozen=True, slots=True)
class Transition:
    key: str
    old: CircuitState
    new: CircuitState
    at: float
    retry_at: float | None = None


_FAILED, _CALLS = 0, 1


class CircuitBreaker:
    """The breaker of one (endpoint, model): ``admit``, then ``succeeded``, ``failed`` or
    ``released`` (a neutral outcome: 4xx, 429, cancellation)."""

    __slots__ = (
        "_clock",
        "_notify",
        "_permit",
        "_rates",
        "epoch",
        "failures",
        "key",
        "opened_at",
        "policy",
        "probe_until",
        "probes",
        "state",
    )

    def __init__(
        self,
        key: str,
        policy: BreakerPolicy | None = None,
        *,
        clock: Clock,
        on_change: Callable[[Transition], None] | None = None,
    ) -> None:
        self.key, self.policy = key, policy or BreakerPolicy()
        self._clock, self._notify = clock, on_change
        self.state = CircuitState.CLOSED
        self.failures = 0
        self.opened_at = 0.0
        self.probes = 0
        self.probe_until = 0.0
        self.epoch = 0  # moves on with every transition and every expired probe lease
        self._permit = Permit(key)
        p = self.policy
        self._rates = WindowCounts(clock, p.rate_window_s) if p.failure_rate else None

    def __repr__(self) -> str:
        live = f"failures={self.failures}"
        if self.state is not CircuitState.CLOSED:
            live = f"retry_at={self.retry_at:.3f}, probes={self.probes}"
        return f"<CircuitBreaker {self.key} {self.state.value} {live}>"

    @property
    def retry_at(self) -> float:
        """When the next probe may go (monotonic seconds)."""
        if self.state is CircuitState.OPEN:
            return self.opened_at + self.policy.open_s
        return self.probe_until if self.state is CircuitState.HALF_OPEN else self._clock.monotonic()

    def blocked_until(self) -> float | None:
        """When ``admit`` would stop refusing, if it would refuse now; else None."""
        if self.state is CircuitState.CLOSED:
            return None
        now = self._clock.monotonic()
        if self.state is CircuitState.OPEN:
            until = self.opened_at + self.policy.open_s
            return until if now < until else None
        full = self.probes >= self.policy.half_open_probes
        return self.probe_until if full and now < self.probe_until else None

    def admit(self) -> Permit:
        """A permit to send, or :class:`CircuitOpen` at once."""
        if self.state is CircuitState.CLOSED:
            return self._permit
        now = self._clock.monotonic()
        if self.state is CircuitState.OPEN:
            if now < self.opened_at + self.policy.open_s:
                raise CircuitOpen(self.key, self.opened_at + self.policy.open_s)
            self._move(CircuitState.HALF_OPEN, now)
        if self.probes and now >= self.probe_until:
            self.probes = 0  # the probes in flight never reported: their lease is over
            self.epoch += 1
        if self.probes >= self.policy.half_open_probes:
            raise CircuitOpen(self.key, self.probe_until)
        self.probes += 1
        self.probe_until = now + self.policy.probe_lease_s
        return Permit(self.key, probe=True, epoch=self.epoch)

    def _live_probe(self, permit: Permit) -> bool:
        return permit.probe and permit.epoch == self.epoch and self.state is CircuitState.HALF_OPEN

    def succeeded(self, permit: Permit) -> None:
        if self._rates is not None:
            self._rates.add(_CALLS)
        if self._live_probe(permit):
            self.probes = 0
            self.failures = 0
            self._move(CircuitState.CLOSED, self._clock.monotonic())
        elif self.state is CircuitState.CLOSED and not permit.probe:
            self.failures = 0

    def failed(self, permit: Permit) -> None:
        now = self._clock.monotonic()
        if self._live_probe(permit):
            self._open(now)
        elif self.state is CircuitState.CLOSED and not permit.probe:
            self.failures += 1
            rate_exceeded = self._rate_exceeded()
            if self.failures >= self.policy.failure_threshold or rate_exceeded:
                self._open(now)

    def released(self, permit: Permit) -> None:
        """A neutral outcome: the permit's place is freed and nothing is counted."""
        if self._live_probe(permit) and self.probes:
            self.probes -= 1

    def _rate_exceeded(self) -> bool:
        if self._rates is None:
            return False
        self._rates.add(_FAILED, _CALLS)
        failed, calls = self._rates.current()
        rate = self.policy.failure_rate or 1.0
        return calls >= self.policy.rate_min_calls and failed >= rate * calls

    def _open(self, now: float) -> None:
        self.opened_at = now
        self.probes = 0
        self._move(CircuitState.OPEN, now)

    def _move(self, new: CircuitState, now: float) -> None:
        old, self.state = self.state, new
        if old is not new:
            self.epoch += 1
            if self._rates is not None and new is not CircuitState.HALF_OPEN:
                self._rates.clear()  # a new period: the last one's outcomes say nothing of it
        if old is not new and self._notify is not None:
            retry_at = self.opened_at + self.policy.open_s if new is CircuitState.OPEN else None
            self._notify(Transition(self.key, old, new, now, retry_at))
