"""``EmulatorServer``: the emulator listening on a socket, as an async context manager."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from types import TracebackType
from typing import Any

from aiohttp import web

from gemgate.clock import Clock
from gemgate.emulator.app import build_app
from gemgate.emulator.config import EmulatorConfig
from gemgate.emulator.faults import FaultRule, parse_fault_plan
from gemgate.emulator.state import STATE, EmulatorState

__all__ = ["EmulatorServer"]

FaultPlan = Mapping[str, Any] | Sequence[FaultRule | Mapping[str, Any]]


class EmulatorServer:
    """A running emulator; ``port=0`` picks a free port.

    ::

        async with EmulatorServer(EmulatorConfig(rpm=5, window_s=1.0)) as emu:
            url = emu.base_url              # "http://127.0.0.1:54321"
            emu.set_faults([{"action": "status", "status": 503, "count": 3}])
            emu.stats()["by_status"]
    """

    def __init__(self, config: EmulatorConfig | None = None, *, clock: Clock | None = None) -> None:
        self.config = config or EmulatorConfig()
        self.app = build_app(self.config, clock=clock)
        self._runner: web.AppRunner | None = None
        self._port: int | None = None

    @property
    def _state(self) -> EmulatorState:
        return self.app[STATE]

    @property
    def host(self) -> str:
        return self.config.host

    @property
    def port(self) -> int:
        if self._port is None:
            raise RuntimeError("the emulator is not started")
        return self._port

    @property
    def base_url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    async def start(self) -> None:
        """Bind and start serving."""
        if self._runner is not None:
            raise RuntimeError("the emulator is already started")
        runner = web.AppRunner(
            self.app, access_log=None, handler_cancellation=True, shutdown_timeout=2.0
        )
        await runner.setup()
        site = web.TCPSite(runner, self.config.host, self.config.port)
        try:
            await site.start()
        except BaseException:
            await runner.cleanup()
            raise
        self._runner = runner
        self._port = int(runner.addresses[0][1])

    async def stop(self) -> None:
        """Stop serving; requests held by ``hang`` are let go (their connections close)."""
        runner, self._runner = self._runner, None
        if runner is not None:
            await runner.cleanup()

    async def __aenter__(self) -> EmulatorServer:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

    def stats(self) -> dict[str, Any]:
        """The same dictionary ``GET /_emulator/stats`` returns."""
        return self._state.stats.snapshot()

    def set_faults(self, plan: FaultPlan) -> None:
        """Replace the fault plan (a ``{"rules": [...]}`` mapping, or a list of rules)."""
        self._state.set_faults(parse_fault_plan(plan))

    def reset(self) -> None:
        """Clear counters, limit windows and faults."""
        self._state.reset()
