"""An injectable clock, so timing logic is tested by advancing time instead of sleeping.

``SystemClock`` is the real one. ``FakeClock`` starts at a fixed time and moves only when told
(``advance``) or, by default, when something awaits ``sleep`` on it, which advances it at once::

    clock = FakeClock()
    await clock.sleep(2.5)
    assert clock.monotonic() == 2.5

With ``FakeClock(autojump=False)`` a sleeper waits until the test calls ``advance`` past its wake
time, so a test can act while others are asleep.
"""

from __future__ import annotations

import asyncio
import time
from typing import Protocol, runtime_checkable

__all__ = ["Clock", "FakeClock", "SystemClock"]


@runtime_checkable
class Clock(Protocol):
    """Monotonic time for intervals, wall time for records, and an awaitable sleep."""

    def monotonic(self) -> float: ...

    def time(self) -> float: ...

    async def sleep(self, seconds: float) -> None: ...


class SystemClock:
    """The process's real clocks and ``asyncio.sleep``."""

    def monotonic(self) -> float:
        return time.monotonic()

    def time(self) -> float:
        return time.time()

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(max(0.0, seconds))


class FakeClock:
    """A clock that moves only when told; ``sleep`` advances it and records the duration."""

    def __init__(
        self, start: float = 0.0, wall_start: float = 1_767_225_600.0, *, autojump: bool = True
    ) -> None:
        self._now = start
        self._wall_offset = wall_start - start
        self.autojump = autojump
        self.sleeps: list[float] = []
        self._sleepers: list[tuple[float, asyncio.Future[None]]] = []

    def monotonic(self) -> float:
        return self._now

    def time(self) -> float:
        return self._now + self._wall_offset

    def advance(self, seconds: float) -> None:
        """Move time on, waking the sleepers whose time has come (in manual mode)."""
        if seconds < 0:
            raise ValueError("a clock does not go backwards")
        self._now += seconds
        due = [f for at, f in self._sleepers if at <= self._now]
        self._sleepers = [(at, f) for at, f in self._sleepers if at > self._now]
        for future in due:
            if not future.done():
                future.set_result(None)

    async def sleep(self, seconds: float) -> None:
        seconds = max(0.0, seconds)
        self.sleeps.append(seconds)
        if self.autojump:
            self._now += seconds
            await asyncio.sleep(0)
            return
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        sleeper = (self._now + seconds, future)
        self._sleepers.append(sleeper)
        try:
            await future
        finally:
            if sleeper in self._sleepers:  # cancelled before its time: forget it
                self._sleepers.remove(sleeper)
