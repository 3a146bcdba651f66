"""One model-method request (generateContent, streamGenerateContent, countTokens), start to end.

Faults that replace the answer (``status``, ``hang``, ``drop``, ``html``) and injected errors
(``error_rate``) act before the limits, so they are never counted against them. Faults that shape
an answer (``block``, ``finish``, ``truncate``, ``stream_error``) act after admission: the request
was served and counts.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from gemgate.emulator import errors
from gemgate.emulator.auth import Credential
from gemgate.emulator.faults import FaultRule
from gemgate.emulator.payload import PayloadError, generate_request
from gemgate.emulator.render import html_response, json_response
from gemgate.emulator.replies import answer, fault_error
from gemgate.emulator.routing import Target
from gemgate.emulator.state import EmulatorState
from gemgate.emulator.stats import fingerprint
from gemgate.emulator.tokens import count_prompt

__all__ = ["Dropped", "run_model_method"]

_REPLACING = frozenset({"status", "hang", "drop", "html"})
_REQUEST_NAMES = {
    "generateContent": "GenerateContentRequest",
    "streamGenerateContent": "GenerateContentRequest",
    "countTokens": "CountTokensRequest",
}


class Dropped(web.Response):
    """Returned after the connection was aborted; nothing of it reaches the wire."""


async def run_model_method(
    request: web.Request,
    state: EmulatorState,
    target: Target,
    credential: Credential,
    body: dict[str, Any],
) -> web.StreamResponse:
    """Faults, injected errors, limits, then the answer."""
    fault = await _planned_fault(state, target)
    if fault is not None and fault.action in _REPLACING:
        return await _replace(request, state, target, fault)
    if state.config.error_rate > 0 and state.rng.random() < state.config.error_rate:
        state.stats.injected_errors += 1
        return json_response(errors.error_for_status(503), 503)
    try:
        inner = generate_request(body, _REQUEST_NAMES[target.method])
    except PayloadError as exc:
        return json_response(errors.bad_request(str(exc)), 400)
    prompt = count_prompt(inner)
    if target.method != "countTokens":
        refusal = _admit(state, target, credential, prompt.total)
        if refusal is not None:
            return refusal
    return await answer(request, state, target, inner, prompt, fault)


async def _planned_fault(state: EmulatorState, target: Target) -> FaultRule | None:
    """Spend the rules that fire, wait out their latency, and return the fault (if any)."""
    selection = state.faults.select(target.region, target.model or "", target.method)
    for rule in selection.fired:
        state.stats.by_fault[rule.action] += 1
    if selection.latency_s > 0:
        await state.clock.sleep(selection.latency_s)
    return selection.fault


def _admit(
    state: EmulatorState, target: Target, credential: Credential, tokens: int
) -> web.Response | None:
    """Count the request against its (credential, model) window, or refuse it with a 429."""
    key, model = fingerprint(credential.secret), target.model or ""
    now = state.clock.monotonic()
    verdict = state.quota.admit((key, model), now, tokens)
    if verdict.admitted:
        state.stats.note_admitted(key, model, now, tokens)
        return None
    state.stats.rate_limited += 1
    violations = []
    if verdict.requests_exceeded:
        violations.append(errors.QuotaViolation(tokens=False, limit=state.config.rpm))
    if verdict.tokens_exceeded:
        violations.append(errors.QuotaViolation(tokens=True, limit=state.config.tpm))
    body = errors.quota_exceeded(violations, target.region, model, verdict.retry_after)
    return json_response(body, 429)


async def _replace(
    request: web.Request, state: EmulatorState, target: Target, rule: FaultRule
) -> web.Response:
    """The answer-replacing faults."""
    if rule.action == "hang":
        await state.released.wait()  # until shutdown, or the client gives up (cancellation)
    if rule.action in ("hang", "drop"):
        if request.transport is not None:
            request.transport.abort()
        return Dropped()
    if rule.action == "html":
        response = html_response(rule.effective_status, request.path)
    else:
        response = json_response(fault_error(state, target, rule), rule.effective_status)
    if rule.retry_after is not None:
        response.headers["Retry-After"] = rule.retry_after
    return response
