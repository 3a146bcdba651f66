"""One pooled ``aiohttp.ClientSession`` per client, and the exchanges made on it.

This is the only module that catches aiohttp's exceptions: each becomes a typed
:mod:`gemgate.errors` error, chained with ``from exc``. Credentials go in headers
(``x-goog-api-key`` for API keys, ``Authorization: Bearer`` for Vertex tokens), never in URLs.
Nothing here retries: the retry stage of the client is the only layer that does.
"""

from __future__ import annotations

import json
from collections.abc import AsyncGenerator, Mapping
from dataclasses import dataclass
from typing import Any, Literal

import aiohttp
from yarl import URL

from gemgate._version import __version__
from gemgate.config import TransportSettings
from gemgate.credentials import Secret
from gemgate.errors import (
    ConnectionFailed,
    DeadlineExceeded,
    GemgateError,
    InvalidRequest,
    RequestTimeout,
)
from gemgate.wire import SSEDecoder, classify_error, error_from_payload, loads_object
from gemgate.wire.types import JSONObject

__all__ = ["Auth", "Transport"]

USER_AGENT = f"gemgate/{__version__}"


@dataclass(frozen=True, slots=True)
class Auth:
    """A credential and how to present it."""

    secret: Secret
    scheme: Literal["api_key", "bearer"] = "api_key"

    def header(self) -> tuple[str, str]:
        if self.scheme == "bearer":
            return "Authorization", f"Bearer {self.secret.reveal()}"
        return "x-goog-api-key", self.secret.reveal()


def _where(url: str) -> str:
    """The URL for a message: no query, no user or password."""
    try:
        return str(URL(url).with_user(None).with_query(None).with_fragment(None))
    except ValueError:
        return "<unparseable URL>"


def _translate(exc: Exception, url: str) -> Exception:
    """The gemgate error for an aiohttp or socket failure; gemgate's own errors pass through.

    The caller raises the result outside its ``except`` block, so the aiohttp exception is
    neither the cause nor the context of the new one: some carry the request's headers, and
    with them the API key, in their ``request_info``.
    """
    where = _where(url)
    if isinstance(exc, GemgateError):
        return exc
    if isinstance(exc, TimeoutError | aiohttp.ServerTimeoutError):
        return RequestTimeout(f"timed out: {where}")
    if isinstance(exc, aiohttp.InvalidURL | aiohttp.NonHttpUrlClientError):
        return InvalidRequest(f"not a usable URL: {where}")
    if isinstance(exc, aiohttp.ClientPayloadError):
        return ConnectionFailed(f"response body cut off: {where}")
    if isinstance(exc, aiohttp.ClientResponseError):
        return ConnectionFailed(f"malformed HTTP answer ({exc.status}): {where}")
    if isinstance(exc, aiohttp.ClientError | OSError):
        return ConnectionFailed(f"{type(exc).__name__}: {where}")
    return exc


class Transport:
    """Owns the session; ``request_json`` and ``stream_json`` are one HTTP exchange each."""

    def __init__(self, options: TransportSettings | None = None) -> None:
        self.options = options or TransportSettings()
        self._session: aiohttp.ClientSession | None = None

    async def __aenter__(self) -> Transport:
        self.open()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    def open(self) -> None:
        if self._session is not None:
            return
        o = self.options
        connector = aiohttp.TCPConnector(
            limit=o.pool_size,
            limit_per_host=o.pool_size_per_host,
            keepalive_timeout=o.keepalive_s,
            ttl_dns_cache=o.dns_cache_ttl_s,
        )
        self._session = aiohttp.ClientSession(
            connector=connector,
            timeout=self._timeout(None),
            headers={"User-Agent": USER_AGENT, "x-goog-api-client": USER_AGENT},
            json_serialize=json.dumps,
            auto_decompress=True,
        )

    async def close(self) -> None:
        if self._session is not None:
            session, self._session = self._session, None
            await session.close()

    @property
    def session(self) -> aiohttp.ClientSession:
        if self._session is None:
            raise RuntimeError("the transport is not open: use it as 'async with'")
        return self._session

    def _timeout(self, remaining_s: float | None) -> aiohttp.ClientTimeout:
        o = self.options
        total = o.total_timeout_s
        if remaining_s is not None and remaining_s <= 0:
            raise DeadlineExceeded("no time left for the request")  # aiohttp reads <= 0 as "none"
        if remaining_s is not None:
            total = remaining_s if total is None else min(total, remaining_s)
        return aiohttp.ClientTimeout(
            total=total, sock_connect=o.connect_timeout_s, sock_read=o.read_timeout_s
        )

    def _headers(self, auth: Auth | None) -> dict[str, str]:
        headers = {"Content-Type": "application/json"}
        if auth is not None:
            name, value = auth.header()
            headers[name] = value
        return headers

    async def request_json(
        self,
        method: str,
        url: str,
        *,
        body: Mapping[str, Any] | None = None,
        auth: Auth | None = None,
        timeout_s: float | None = None,
    ) -> JSONObject:
        """Send one request; the JSON object of a 2xx answer, or a typed error."""
        data = json.dumps(body, ensure_ascii=False).encode() if body is not None else None
        timeout = self._timeout(timeout_s)
        try:
            async with self.session.request(
                method, url, data=data, headers=self._headers(auth), timeout=timeout
            ) as resp:
                payload = await resp.read()
                if resp.status >= 300:
                    raise classify_error(resp.status, payload, headers=resp.headers)
                return loads_object(payload, status=resp.status)
        except Exception as exc:
            error = _translate(exc, url)
        raise error

    async def stream_json(
        self,
        url: str,
        *,
        body: Mapping[str, Any],
        auth: Auth | None = None,
        timeout_s: float | None = None,
    ) -> AsyncGenerator[JSONObject, None]:
        """POST and yield each SSE event's JSON object as it arrives.

        An ``{"error": …}`` event raises its typed error; a stream cut off in the middle of an
        event raises :class:`MalformedResponse` or :class:`ConnectionFailed`.
        """
        data = json.dumps(body, ensure_ascii=False).encode()
        timeout = self._timeout(timeout_s)
        try:
            async with self.session.post(
                url, data=data, headers=self._headers(auth), timeout=timeout
            ) as resp:
                if resp.status >= 300:
                    raise classify_error(resp.status, await resp.read(), headers=resp.headers)
                decoder = SSEDecoder()
                async for chunk in resp.content.iter_any():
                    for event in decoder.feed(chunk):
                        yield _event_object(event)
                for event in decoder.close():
                    yield _event_object(event)
                return
        except Exception as exc:
            error = _translate(exc, url)
        raise error


def _event_object(event: str) -> JSONObject:
    obj = loads_object(event)
    error = obj.get("error")
    if isinstance(error, dict):
        code = error.get("code")
        raise error_from_payload(code if isinstance(code, int) else 500, error)
    return obj
