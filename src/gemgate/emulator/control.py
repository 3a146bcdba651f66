"""Control and measurement under ``/_emulator/`` (never under an API path).

* ``GET /_emulator/stats`` — the counters (see ``stats.py``).
* ``POST /_emulator/faults`` — body: a fault plan ``{"rules": [...]}``; replaces the plan.
* ``POST /_emulator/reset`` — clears counters, limit windows and faults.
"""

from __future__ import annotations

import json

from aiohttp import web

from gemgate.emulator.faults import FaultPlanError, parse_fault_plan
from gemgate.emulator.render import json_response
from gemgate.emulator.state import STATE

__all__ = ["add_control_routes"]


async def get_stats(request: web.Request) -> web.Response:
    return json_response(request.app[STATE].stats.snapshot())


async def post_faults(request: web.Request) -> web.Response:
    try:
        plan = json.loads(await request.read() or b"{}")
        rules = parse_fault_plan(plan)
    except (json.JSONDecodeError, UnicodeDecodeError, FaultPlanError) as exc:
        return json_response({"error": f"bad fault plan: {exc}"}, 400)
    request.app[STATE].set_faults(rules)
    return json_response({"rules": len(rules)})


async def post_reset(request: web.Request) -> web.Response:
    request.app[STATE].reset()
    return json_response({"reset": True})


def add_control_routes(app: web.Application) -> None:
    """Register the ``/_emulator/`` endpoints on ``app``."""
    app.router.add_get("/_emulator/stats", get_stats)
    app.router.add_post("/_emulator/faults", post_faults)
    app.router.add_post("/_emulator/reset", post_reset)
