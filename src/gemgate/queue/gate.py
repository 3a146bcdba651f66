"""The bound on how many requests may wait at once, and what happens past it.

Every request holds a ticket from the moment it is submitted until it starts (is first sent).
With ``max_waiting`` tickets out, a newcomer is refused with :class:`QueueFull` (``"reject"``),
or the lowest-priority waiting request — the newest among equals — is shed to make room, when
the newcomer outranks it (``"shed"``). A shed request ends with :class:`QueueFull`: its task is
cancelled and the cancellation turned into that error by :meth:`QueueGate.ticket`.
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Literal

from gemgate.errors import QueueFull

__all__ = ["QueueGate", "Ticket"]


@dataclass(eq=False, slots=True)
class Ticket:
    priority: int
    seq: int
    task: asyncio.Task[object] | None = field(default=None, repr=False)
    shed: bool = False


class QueueGate:
    """At most ``max_waiting`` requests wait; ``None`` means no bound."""

    def __init__(
        self, max_waiting: int | None = None, overflow: Literal["reject", "shed"] = "reject"
    ) -> None:
        if max_waiting is not None and max_waiting < 1:
            raise ValueError("max_waiting must be at least 1")
        self.max_waiting = max_waiting
        self.overflow = overflow
        self._waiting: set[Ticket] = set()
        self._seq = itertools.count()

    @property
    def waiting(self) -> int:
        return len(self._waiting)

    def _make_room(self, priority: int) -> None:
        if self.max_waiting is None or len(self._waiting) < self.max_waiting:
            return
        victim = min(self._waiting, key=lambda t: (t.priority, -t.seq))
        if self.overflow == "reject" or victim.priority >= priority:
            raise QueueFull(f"{len(self._waiting)} requests already waiting")
        self._waiting.discard(victim)
        victim.shed = True
        if victim.task is not None:
            victim.task.cancel()

    def started(self, ticket: Ticket) -> None:
        """The request is being sent: it no longer counts as waiting."""
        self._waiting.discard(ticket)

    @asynccontextmanager
    async def ticket(self, priority: int) -> AsyncIterator[Ticket]:
        self._make_room(priority)
        ticket = Ticket(priority, next(self._seq), asyncio.current_task())
        self._waiting.add(ticket)
        try:
            yield ticket
        except asyncio.CancelledError:
            if not ticket.shed:
                raise
            task = asyncio.current_task()
            if task is not None:
                task.uncancel()
            raise QueueFull("shed to make room for a higher-priority request") from None
        finally:
            self._waiting.discard(ticket)
