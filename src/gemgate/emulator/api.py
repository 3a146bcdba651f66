"""The API entry point: route, authenticate, then list models or run a model method.

Order of checks, as the service does them: unknown path (404 HTML page), the configured latency,
credential (403/401/400), body (400), then — for model methods — faults (with their latency),
injected errors, limits, the answer.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from gemgate.emulator import errors
from gemgate.emulator.auth import check_credential, credential_of
from gemgate.emulator.calls import Dropped, run_model_method
from gemgate.emulator.catalog import developer_model, list_page, vertex_model
from gemgate.emulator.render import html_response, json_response
from gemgate.emulator.routing import MODEL_METHODS, Target, route
from gemgate.emulator.state import STATE
from gemgate.emulator.stats import fingerprint

__all__ = ["CONTROL_PREFIX", "api_handler", "count_requests"]

CONTROL_PREFIX = "/_emulator/"
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


async def api_handler(request: web.Request) -> web.StreamResponse:
    """Every request outside ``/_emulator/``."""
    target = route(request.method, request.path)
    if target is None or target.method not in MODEL_METHODS | {"listModels", "getModel"}:
        return html_response(404, request.path)
    state = request.app[STATE]
    state.stats.note_call(target.region, target.method, target.model)
    if state.config.latency_ms > 0:
        await state.clock.sleep(state.config.latency_ms / 1000.0)
    credential = credential_of(request)
    problem = check_credential(target, credential, state.keys)
    if problem is not None:
        return json_response(problem, problem["error"]["code"])
    assert credential is not None  # check_credential refuses a missing one
    state.stats.by_credential[fingerprint(credential.secret)] += 1
    if target.method in ("listModels", "getModel"):
        return _models(request, target)
    body = await _read_body(request)
    if isinstance(body, web.Response):
        return body
    return await run_model_method(request, state, target, credential, body)


def _models(request: web.Request, target: Target) -> web.Response:
    """``models.list`` (paged by ``pageSize`` / ``pageToken``) or ``models.get``."""
    if target.method == "listModels":
        query = request.query
        page = list_page(query.get("pageSize"), query.get("pageToken"), target.vertex)
        return json_response(page)
    model = target.model or ""
    return json_response(vertex_model(model) if target.vertex else developer_model(model))


async def _read_body(request: web.Request) -> dict[str, Any] | web.Response:
    raw = await request.read()
    try:
        body = json.loads(raw or b"{}")
    except (UnicodeDecodeError, json.JSONDecodeError):
        body = None
    if not isinstance(body, dict):
        message = "Invalid JSON payload received. Unexpected token."
        return json_response(errors.bad_request(message), 400)
    return body


@web.middleware
async def count_requests(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Count every API request and the status it got (a dropped connection has none)."""
    if request.path.startswith(CONTROL_PREFIX):
        return await handler(request)
    request.app[STATE].stats.requests_total += 1
    response = await handler(request)
    if not isinstance(response, Dropped):
        request.app[STATE].stats.by_status[str(response.status)] += 1
    return response
