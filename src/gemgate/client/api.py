"""``GeminiAPIClient``: the composition root that reads settings and wires the pipeline.

::

    async with GeminiAPIClient.from_config() as client:
        result = await client.generate("Why is the sky blue?", user_id="u1", feature="faq")
        print(result.text, result.cost_usd, result.usage.total)

        async with client.stream("Tell me a story") as chunks:
            async for chunk in chunks:
                print(chunk.text, end="")
"""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncGenerator, Iterable, Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import Any, TypedDict, Unpack

from gemgate.client.attempts import Attempts
from gemgate.client.call import Call, Result
from gemgate.client.stages import Lifecycle
from gemgate.client.stream import Stream
from gemgate.client.wiring import budget_for, endpoints_of, limiter_for, router_for, scope_of
from gemgate.clock import Clock, SystemClock
from gemgate.config import Settings, load_settings
from gemgate.cost import CostTracker
from gemgate.credentials import Secret, find_api_key
from gemgate.errors import GemgateError, MalformedResponse, PromptBlocked
from gemgate.observability import AuditLog, EventBus, Listener, Metrics
from gemgate.queue import AdmissionQueue, Priority, QueueGate
from gemgate.ratelimit import RateLimiter, estimate_tokens
from gemgate.resilience import RetryPolicy
from gemgate.transport import Auth, Transport
from gemgate.wire import (
    Contents,
    CountTokensResponse,
    Endpoint,
    GenerateResponse,
    build_generate_body,
    normalize_contents,
    parse_count_tokens,
    parse_generate_response,
    prompt_text,
)

__all__ = ["Attribution", "GeminiAPIClient"]


class Attribution(TypedDict, total=False):
    """Fields gemgate keeps for itself with each request; never sent to the API."""

    user_id: str | None
    feature: str | None
    team: str | None
    priority: int
    deadline_s: float | None
    request_id: str | None
    region: str | None


class GeminiAPIClient:
    """Calls Gemini through admission, rate limits, retries, cost tracking and audit."""

    def __init__(
        self,
        settings: Settings,
        auth: Auth | None,
        *,
        base_url: str | None = None,
        clock: Clock | None = None,
        limiter: RateLimiter | None = None,
        listeners: Iterable[Listener] = (),
    ) -> None:
        self.settings = settings
        self.clock = clock or SystemClock()
        self.bus = EventBus()
        self.metrics = Metrics()
        self.costs = CostTracker()
        subscribers: list[Listener] = [self.metrics, AuditLog(), *listeners]
        for listener in subscribers:
            self.bus.subscribe(listener)
        self._auth = auth
        self.transport = Transport(settings.transport)
        self.limiter = limiter or limiter_for(settings, self.clock)
        self.life = Lifecycle(
            clock=self.clock,
            bus=self.bus,
            gate=QueueGate(settings.max_waiting, settings.overflow),
            queue=AdmissionQueue(settings.concurrency),
            limiter=self.limiter,
            costs=self.costs,
            scope=scope_of(settings, auth),
        )
        r = settings.retry
        self.router = router = router_for(
            settings, endpoints_of(settings, base_url), self.clock, self.bus, self.life.scope
        )
        self._preflights = asyncio.Semaphore(settings.concurrency)
        self.attempts = Attempts(
            self.life,
            RetryPolicy(r.max_attempts, r.base_delay_s, r.max_delay_s),
            router,
            budget_for(settings, self.clock),
        )
        self.life.refuse_early = self.attempts.precheck

    @classmethod
    def from_config(
        cls,
        path: str | Path | None = None,
        *,
        env: Mapping[str, str] | None = None,
        api_key: str | Secret | None = None,
        base_url: str | None = None,
        **kwargs: Any,
    ) -> GeminiAPIClient:
        """Settings from ``gemgate.toml`` and the environment; the key from the environment
        (``GEMGATE_API_KEY``, ``GEMINI_API_KEY``, ``GOOGLE_API_KEY``) unless given."""
        env = os.environ if env is None else env
        settings = load_settings(path, env)
        if api_key is None:
            secret = find_api_key(env, settings.api_key_env, settings.api_key_file)
        else:
            secret = api_key if isinstance(api_key, Secret) else Secret(api_key)
        return cls.from_settings(settings, secret, base_url=base_url, **kwargs)

    @classmethod
    def from_settings(
        cls, settings: Settings, key: Secret, *, base_url: str | None = None, **kwargs: Any
    ) -> GeminiAPIClient:
        """A client for already loaded settings; Vertex with a project uses ``key`` as a
        bearer token, everything else as an API key."""
        bearer = settings.endpoint.kind == "vertex" and settings.endpoint.project is not None
        auth = Auth(key, "bearer") if bearer else Auth(key, "api_key")
        return cls(settings, auth, base_url=base_url, **kwargs)

    async def __aenter__(self) -> GeminiAPIClient:
        self.transport.open()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    async def close(self) -> None:
        try:
            await self.transport.close()
        finally:
            try:
                await self.limiter.close()
            finally:
                await self.router.breakers.close()

    def __repr__(self) -> str:
        return f"<GeminiAPIClient endpoints={list(self.router.names)}>"

    def _call(
        self,
        method: str,
        body: dict[str, Any],
        model: str | None,
        *,
        user_id: str | None = None,
        feature: str | None = None,
        team: str | None = None,
        priority: int = Priority.NORMAL,
        deadline_s: float | None = None,
        request_id: str | None = None,
        region: str | None = None,
    ) -> Call:
        now = self.clock.monotonic()
        model = model or self.settings.default_model
        return Call(
            id=request_id or uuid.uuid4().hex,
            model=model,
            config=self.settings.catalog.get(model),  # warns once here for an unknown model
            method=method,
            body=body,
            estimate=estimate_tokens(prompt_text(body)),
            priority=int(priority),
            created_at=now,
            deadline_at=None if deadline_s is None else now + deadline_s,
            user=user_id,
            feature=feature,
            team=team,
            pinned=region,
        )

    async def generate(
        self,
        contents: Contents,
        *,
        model: str | None = None,
        system_instruction: str | Mapping[str, Any] | None = None,
        generation_config: Mapping[str, Any] | None = None,
        safety_settings: Sequence[Mapping[str, Any]] | None = None,
        tools: Sequence[Mapping[str, Any]] | None = None,
        **attribution: Unpack[Attribution],
    ) -> Result:
        """One ``generateContent`` call through the whole pipeline.

        ``attribution``: ``user_id``, ``feature``, ``team``, ``priority``, ``deadline_s``,
        ``request_id`` — kept by gemgate, never sent to the API — and ``region``, which pins
        the request to that endpoint (data residency): it never fails over elsewhere.
        """
        body = build_generate_body(
            contents,
            system_instruction=system_instruction,
            generation_config=generation_config,
            safety_settings=safety_settings,
            tools=tools,
        )
        call = self._call("generateContent", body, model, **attribution)
        await self._estimate(call)
        life = self.life
        async with life.recorded(call):
            self.attempts.precheck(call)
            async with life.queued(call), life.limited(call), life.admitted(call):
                await self.attempts.run(call, self._send)
        return Result.of(call)

    async def _estimate(self, call: Call) -> None:
        """With ``[limits] count_tokens``, the prompt's exact size from the free countTokens
        call replaces the local estimate (which stays if that call fails)."""
        if not self.settings.limits.count_tokens or not self.limiter.limited(call.config.name):
            return
        endpoint = self.router.preferred(call.model, pinned=call.pinned)
        body = {"contents": call.body["contents"]}
        try:
            async with self._preflights:  # no flood of countTokens ahead of the real calls
                obj = await self.transport.request_json(
                    "POST",
                    endpoint.method_url(call.model, "countTokens"),
                    body=body,
                    auth=self._auth,
                    timeout_s=call.remaining(self.clock.monotonic()),
                )
        except GemgateError:
            return
        call.estimate = max(1, parse_count_tokens(obj).total_tokens)

    async def _send(self, call: Call, endpoint: Endpoint) -> None:
        call.sent = True
        obj = await self.transport.request_json(
            "POST",
            endpoint.method_url(call.model, call.method),
            body=call.body,
            auth=self._auth,
            timeout_s=call.remaining(self.clock.monotonic()),
        )
        _accept(call, parse_generate_response(obj))

    def stream(
        self,
        contents: Contents,
        *,
        model: str | None = None,
        system_instruction: str | Mapping[str, Any] | None = None,
        generation_config: Mapping[str, Any] | None = None,
        safety_settings: Sequence[Mapping[str, Any]] | None = None,
        tools: Sequence[Mapping[str, Any]] | None = None,
        **attribution: Unpack[Attribution],
    ) -> Stream:
        """``streamGenerateContent``: chunks as they arrive. Retried only before the first
        chunk; after it, a failure ends the stream with a typed error and the usage seen so far
        is still accounted."""
        body = build_generate_body(
            contents,
            system_instruction=system_instruction,
            generation_config=generation_config,
            safety_settings=safety_settings,
            tools=tools,
        )
        call = self._call("streamGenerateContent", body, model, **attribution)
        return Stream(self._chunks(call), call)

    async def _chunks(self, call: Call) -> AsyncGenerator[GenerateResponse, None]:
        await self._estimate(call)
        life = self.life
        async with life.recorded(call):
            self.attempts.precheck(call)
            async with life.queued(call), life.limited(call), life.admitted(call):
                first, rest = await self.attempts.run(call, self._open_stream, settle_later=True)
                ended: BaseException | None = None
                try:
                    yield first
                    async for obj in rest:
                        chunk = parse_generate_response(obj)
                        _accept(call, chunk)
                        yield chunk
                except BaseException as exc:  # after the first chunk: not retried, but counted
                    ended = exc
                    raise
                finally:
                    await rest.aclose()  # leaving early closes the connection now, not at GC
                    await self.attempts.settle(call, ended)

    async def _open_stream(
        self, call: Call, endpoint: Endpoint
    ) -> tuple[GenerateResponse, AsyncGenerator[Any, None]]:
        call.sent = True
        events = self.transport.stream_json(
            endpoint.method_url(call.model, call.method),
            body=call.body,
            auth=self._auth,
            timeout_s=call.remaining(self.clock.monotonic()),
        )
        try:
            first = parse_generate_response(await anext(events))
            _accept(call, first)
        except StopAsyncIteration:
            raise MalformedResponse("the stream ended before its first event") from None
        except BaseException:
            await events.aclose()
            raise
        return first, events

    async def count_tokens(
        self, contents: Contents, *, model: str | None = None, **attribution: Unpack[Attribution]
    ) -> CountTokensResponse:
        """``countTokens`` (free of charge: no rate-limit reservation, no cost)."""
        call = self._call(
            "countTokens", {"contents": normalize_contents(contents)}, model, **attribution
        )
        life = self.life
        async with life.recorded(call):
            self.attempts.precheck(call)
            async with life.queued(call), life.admitted(call):
                return await self.attempts.run(call, self._send_count, limited=False)

    async def _send_count(self, call: Call, endpoint: Endpoint) -> CountTokensResponse:
        obj = await self.transport.request_json(
            "POST",
            endpoint.method_url(call.model, call.method),
            body=call.body,
            auth=self._auth,
            timeout_s=call.remaining(self.clock.monotonic()),
        )
        return parse_count_tokens(obj)


def _accept(call: Call, response: GenerateResponse) -> None:
    """Take in a response or stream chunk: keep the last usage (cumulative, never summed)."""
    call.response = response
    if response.usage.total or response.usage.prompt:
        call.usage = response.usage
    call.text_parts.append(response.text)
    if response.block_reason and not response.candidates:
        raise PromptBlocked(response.block_reason, request_id=call.id)
