"""Priority admission under a concurrency cap.

At most ``concurrency`` requests hold a slot at once. Waiters are served highest priority first,
FIFO within a priority. A waiter whose deadline passes before it gets a slot is rejected with
:class:`DeadlineExceeded`; a cancelled waiter gives up its place, and a slot granted to a waiter
that was cancelled in the same instant is passed on, so no slot is ever lost.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from enum import IntEnum

from gemgate.errors import DeadlineExceeded

__all__ = ["AdmissionQueue", "Priority"]


class Priority(IntEnum):
    """Named priorities; any int works, higher goes first."""

    LOW = 0
    NORMAL = 5
    HIGH = 10


class AdmissionQueue:
    """A priority semaphore: ``async with queue.slot(priority, timeout_s): ...``."""

    def __init__(self, concurrency: int) -> None:
        if concurrency < 1:
            raise ValueError("concurrency must be at least 1")
        self.concurrency = concurrency
        self._free = concurrency
        self._waiters: list[tuple[int, int, asyncio.Future[None]]] = []
        self._seq = itertools.count()

    @property
    def in_flight(self) -> int:
        return self.concurrency - self._free

    @property
    def waiting(self) -> int:
        return sum(1 for *_, fut in self._waiters if not fut.done())

    async def acquire(
        self, priority: int = Priority.NORMAL, timeout_s: float | None = None
    ) -> None:
        if self._free > 0 and not self.waiting:
            self._free -= 1
            return
        fut: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        heapq.heappush(self._waiters, (-int(priority), next(self._seq), fut))
        try:
            async with asyncio.timeout(timeout_s):
                await fut
        except BaseException as exc:
            self._abandon(fut)
            if isinstance(exc, TimeoutError):
                raise DeadlineExceeded("deadline passed while queued for a slot") from None
            raise

    def _abandon(self, fut: asyncio.Future[None]) -> None:
        if fut.done() and not fut.cancelled():
            self.release()  # granted in the same instant: pass the slot on
        else:
            fut.cancel()

    def release(self) -> None:
        while self._waiters:
            _, _, fut = heapq.heappop(self._waiters)
            if not fut.done():
                fut.set_result(None)
                return
        self._free += 1

    @asynccontextmanager
    async def slot(
        self, priority: int = Priority.NORMAL, timeout_s: float | None = None
    ) -> AsyncIterator[None]:
        await self.acquire(priority, timeout_s)
        try:
            yield
        finally:
            self.release()
