"""Sending an admitted request's answer: whole, streamed, counted, or shaped by a fault."""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from aiohttp import web

from gemgate.emulator import errors
from gemgate.emulator.answers import make_answer, request_digest
from gemgate.emulator.faults import FaultRule
from gemgate.emulator.payload import settings_of
from gemgate.emulator.render import ChunkStream, json_response, pretty, text_response
from gemgate.emulator.responses import (
    ResponseContext,
    blocked_response,
    count_tokens_response,
    full_response,
    stream_chunks,
)
from gemgate.emulator.routing import Target
from gemgate.emulator.state import EmulatorState
from gemgate.emulator.tokens import PromptTokens

__all__ = ["answer", "fault_error"]

Json = dict[str, Any]


def fault_error(state: EmulatorState, target: Target, rule: FaultRule) -> errors.ErrorBody:
    """The error body a ``status`` or ``stream_error`` rule sends."""
    status = rule.effective_status
    if status == 404:
        return errors.not_found(target.model_path or "", target.version, target.method)
    if status == 429:
        violation = errors.QuotaViolation(False, state.config.rpm, per_day=rule.quota == "day")
        model = target.model or ""
        return errors.quota_exceeded([violation], target.region, model, rule.retry_delay_s)
    return errors.error_for_status(status)


async def answer(
    request: web.Request,
    state: EmulatorState,
    target: Target,
    inner: Mapping[str, Any],
    prompt: PromptTokens,
    fault: FaultRule | None,
) -> web.StreamResponse:
    """The 200 answer to a model method, possibly shaped by ``fault``."""
    if target.method == "countTokens":
        return _whole(count_tokens_response(prompt, target.vertex), fault)
    digest = request_digest(state.config.seed, target.model or "", inner)
    ctx = _context(state, target, prompt, digest)
    stream = target.method == "streamGenerateContent"
    if fault is not None and fault.action == "block":
        blocked = blocked_response(ctx, fault.effective_reason)
        if stream:
            return await _stream(request, [blocked], fault, state, target)
        return _whole(blocked, fault)
    finish = fault.effective_reason if fault is not None and fault.action == "finish" else None
    reply = make_answer(digest, settings_of(inner), finish)
    if stream:
        return await _stream(request, stream_chunks(ctx, reply), fault, state, target)
    return _whole(full_response(ctx, reply), fault)


def _context(
    state: EmulatorState, target: Target, prompt: PromptTokens, digest: bytes
) -> ResponseContext:
    number = state.next_answer_number().to_bytes(8, "big")
    response_id = base64.urlsafe_b64encode(hashlib.sha256(digest + number).digest()).decode()[:23]
    moment = datetime.fromtimestamp(state.clock.time(), UTC)
    create_time = moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ") if target.vertex else ""
    return ResponseContext(target.vertex, target.model or "", response_id, prompt, create_time)


def _whole(body: Json, fault: FaultRule | None) -> web.Response:
    if fault is not None and fault.action == "truncate":
        text = pretty(body)
        return text_response(text[: len(text) // 2], 200)
    return json_response(body)


async def _stream(
    request: web.Request,
    chunks: list[Json],
    fault: FaultRule | None,
    state: EmulatorState,
    target: Target,
) -> web.StreamResponse:
    out = ChunkStream(request, sse=request.query.get("alt") == "sse")
    if fault is not None and fault.action == "truncate":
        await _send_truncated(out, chunks)
        return out.response
    after = fault.after_chunks if fault is not None and fault.action == "stream_error" else None
    for chunk in chunks if after is None else chunks[:after]:
        await out.send(chunk)
    if fault is not None and after is not None:
        await out.send(fault_error(state, target, fault))
    await out.finish()
    return out.response


async def _send_truncated(out: ChunkStream, chunks: list[Json]) -> None:
    """The first chunk whole (if there is a second), then half of the next one."""
    if len(chunks) > 1:
        await out.send(chunks[0])
    await out.send_cut(chunks[1] if len(chunks) > 1 else chunks[0])
