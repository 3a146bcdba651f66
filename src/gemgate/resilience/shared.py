"""Breakers shared by every process on one Redis, and the in-process default.

Both implement :class:`Breakers`: ``admit(key)`` gives a :class:`Permit` or raises
:class:`CircuitOpen`; ``record(permit, outcome)`` reports ``"success"``, ``"failure"`` or
``"neutral"``. In Redis each step is one ``EVALSHA`` of ``lua/breaker.lua`` on the server's
``TIME``: transitions are atomic and the half-open probes are bounded across all processes. A
success costs no round trip while this process has seen no failure of that breaker since Redis
last said it had none (the healthy path: one round trip per request, the admit). If Redis is
unreachable or refuses (read-only replica, out of memory), the breakers of this process decide
alone (one warning per outage) and Redis is tried again after ``retry_s``.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable
from importlib.resources import files
from typing import Literal, Protocol

from gemgate.clock import Clock
from gemgate.errors import CircuitOpen
from gemgate.resilience.breaker import (
    BreakerPolicy,
    CircuitBreaker,
    CircuitState,
    Permit,
    Transition,
)

__all__ = ["Breakers", "MemoryBreakers", "NoBreakers", "Outcome", "RedisBreakers"]

Outcome = Literal["success", "failure", "neutral"]
_STATES = (CircuitState.CLOSED, CircuitState.OPEN, CircuitState.HALF_OPEN)
_log = logging.getLogger("gemgate.resilience")


class Breakers(Protocol):
    async def admit(self, key: str) -> Permit: ...
    async def record(self, permit: Permit, outcome: Outcome) -> None: ...
    def state(self, key: str) -> CircuitState: ...
    def blocked_until(self, key: str) -> float | None: ...
    async def close(self) -> None: ...


class NoBreakers:
    """Breakers turned off: every request is admitted, nothing is counted."""

    _PERMIT = Permit("")

    async def admit(self, key: str) -> Permit:
        return self._PERMIT

    async def record(self, permit: Permit, outcome: Outcome) -> None:
        return None

    def state(self, key: str) -> CircuitState:
        return CircuitState.CLOSED

    def blocked_until(self, key: str) -> float | None:
        return None

    async def close(self) -> None:
        return None


class MemoryBreakers:
    """One :class:`CircuitBreaker` per key, in this process."""

    def __init__(
        self,
        policy: BreakerPolicy,
        clock: Clock,
        on_change: Callable[[Transition], None] | None = None,
    ) -> None:
        self.policy, self.clock, self.on_change = policy, clock, on_change
        self._breakers: dict[str, CircuitBreaker] = {}

    def breaker(self, key: str) -> CircuitBreaker:
        found = self._breakers.get(key)
        if found is None:
            found = CircuitBreaker(key, self.policy, clock=self.clock, on_change=self.on_change)
            self._breakers[key] = found
        return found

    def state(self, key: str) -> CircuitState:
        return self.breaker(key).state

    def blocked_until(self, key: str) -> float | None:
        found = self._breakers.get(key)
        return None if found is None else found.blocked_until()

    async def admit(self, key: str) -> Permit:
        return self.breaker(key).admit()

    async def record(self, permit: Permit, outcome: Outcome) -> None:
        b = self.breaker(permit.key)
        if outcome == "success":
            b.succeeded(permit)
        elif outcome == "failure":
            b.failed(permit)
        else:
            b.released(permit)

    async def close(self) -> None:
        return None


def _load_script() -> str:
    return (files("gemgate.resilience") / "lua" / "breaker.lua").read_text("utf-8")


class RedisBreakers:
    """Breakers whose state lives in Redis under ``{prefix}:cb:{key}``."""

    def __init__(
        self,
        url: str,
        policy: BreakerPolicy,
        clock: Clock,
        on_change: Callable[[Transition], None] | None = None,
        *,
        prefix: str = "gemgate",
        retry_s: float = 1.0,
        timeout_s: float = 0.5,
    ) -> None:
        from gemgate._redis import connect, where  # only when breakers are shared

        self.policy, self.clock, self.on_change = policy, clock, on_change
        self.prefix, self.retry_s = prefix, retry_s
        self.where = where(url)
        self._redis = connect(url, timeout_s)
        self._script = self._redis.register_script(_load_script())
        self._local = MemoryBreakers(policy, clock, on_change)
        self._states: dict[str, CircuitState] = {}
        self._blocked: dict[str, float] = {}  # open (not half-open) refusals seen, until when
        self._dirty: set[str] = set()  # breakers with failures counted, as far as we know
        self._down_until: float | None = None

    def __repr__(self) -> str:
        return f"RedisBreakers({self.where!r}, prefix={self.prefix!r})"

    def state(self, key: str) -> CircuitState:
        """The state last seen for ``key`` (by this process)."""
        return self._states.get(key, CircuitState.CLOSED)

    def blocked_until(self, key: str) -> float | None:
        """When the last refusal seen by this process ends, if it has not yet."""
        until = self._blocked.get(key)
        if until is None or until <= self.clock.monotonic():
            return self._local.blocked_until(key) if self._down_until is not None else None
        return until

    async def admit(self, key: str) -> Permit:
        reply = await self._step("admit", key)
        if reply is None:  # decided here alone: its outcome goes back here too
            return dataclasses.replace(await self._local.admit(key), local=True)
        verdict, _, state, wait_us, failures, epoch = reply
        self._note_failures(key, failures)
        if verdict == 0:
            until = self.clock.monotonic() + wait_us / 1_000_000
            if _STATES[state] is CircuitState.OPEN:  # a half-open refusal ends with the probe
                self._blocked[key] = until
            raise CircuitOpen(key, until)
        self._blocked.pop(key, None)
        return Permit(key, probe=verdict == 2, epoch=epoch)

    async def record(self, permit: Permit, outcome: Outcome) -> None:
        key = permit.key
        if permit.local:
            await self._local.record(permit, outcome)
            return
        if not permit.probe and (
            outcome == "neutral" or (outcome == "success" and key not in self._dirty)
        ):
            return  # nothing to count, or no failure to reset
        op = "release" if outcome == "neutral" else outcome
        reply = await self._step(op, key, permit)
        if reply is None:
            await self._local.record(permit, outcome)
        else:
            self._note_failures(key, reply[4])

    def _note_failures(self, key: str, failures: int) -> None:
        if failures:
            self._dirty.add(key)
        else:
            self._dirty.discard(key)

    async def close(self) -> None:
        await self._redis.aclose()

    async def _step(self, op: str, key: str, permit: Permit | None = None) -> list[int] | None:
        import redis.exceptions

        if self._down_until is not None and self.clock.monotonic() < self._down_until:
            return None
        p = self.policy
        probe = permit is not None and permit.probe
        args: list[str | int] = [
            op,
            int(probe),
            p.failure_threshold,
            round(p.open_s * 1_000_000),
            p.half_open_probes,
            round(p.probe_lease_s * 1_000_000),
            round(max(p.open_s, p.probe_lease_s) * 2000) + 3_600_000,
            permit.epoch if permit is not None else 0,
        ]
        try:
            raw = await self._script(keys=[f"{self.prefix}:cb:{{{key}}}"], args=args)
        except (redis.exceptions.RedisError, OSError) as exc:
            if self._down_until is None:
                _log.warning(
                    "Redis at %s is unreachable or refused (%s): breakers decide locally",
                    self.where,
                    exc,
                )
            self._down_until = self.clock.monotonic() + self.retry_s
            return None
        if self._down_until is not None:
            _log.info("Redis at %s answers again: breakers are shared again", self.where)
            self._down_until = None
        reply = [int(v) for v in raw]
        self._saw(key, _STATES[reply[1]], _STATES[reply[2]])
        return reply

    def _saw(self, key: str, old: CircuitState, new: CircuitState) -> None:
        self._states[key] = new
        if new is CircuitState.CLOSED:
            self._blocked.pop(key, None)
        elif new is CircuitState.OPEN and old is not CircuitState.OPEN:  # opened by this step
            self._blocked[key] = self.clock.monotonic() + self.policy.open_s
        if old is not new and self.on_change is not None:
            retry_at = (
                self.clock.monotonic() + self.policy.open_s if new is CircuitState.OPEN else None
            )
            self.on_change(Transition(key, old, new, self.clock.monotonic(), retry_at))
