"""``build_app``: the emulator as an ``aiohttp.web.Application`` for embedding."""

from __future__ import annotations

from aiohttp import web

from gemgate.clock import Clock, SystemClock
from gemgate.emulator.api import api_handler, count_requests
from gemgate.emulator.config import EmulatorConfig
from gemgate.emulator.control import add_control_routes
from gemgate.emulator.state import STATE, EmulatorState

__all__ = ["build_app"]

MAX_BODY_BYTES = 100 * 1024 * 1024  # the service takes inline data up to 100 MB


def build_app(
    config: EmulatorConfig | None = None, *, clock: Clock | None = None
) -> web.Application:
    """An application serving the Gemini REST API and ``/_emulator/`` control endpoints.

    ``clock`` (default: the system clock) times the limit windows and latency; a test may pass a
    ``FakeClock`` to control them. A request held by a ``hang`` fault is let go when the
    application shuts down.
    """
    app = web.Application(middlewares=[count_requests], client_max_size=MAX_BODY_BYTES)
    app[STATE] = EmulatorState(config or EmulatorConfig(), clock or SystemClock())
    add_control_routes(app)
    app.router.add_route("*", "/{path:.*}", api_handler)
    app.on_startup.append(_hold_hung_requests)
    app.on_shutdown.append(_release_hung_requests)
    return app


async def _hold_hung_requests(app: web.Application) -> None:
    app[STATE].released.clear()


async def _release_hung_requests(app: web.Application) -> None:
    app[STATE].released.set()
