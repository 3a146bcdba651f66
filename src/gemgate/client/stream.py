"""The async iterator that ``GeminiAPIClient.stream`` returns."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from decimal import Decimal
from types import TracebackType

from gemgate.client.call import Call, Result
from gemgate.wire import GenerateResponse, Usage

__all__ = ["Stream"]


class Stream:
    """Chunks as they arrive; ``result`` once the stream has ended.

    Use ``async with client.stream(...) as s: async for chunk in s: ...`` so that a loop left
    early still closes the connection and settles cost and limits at once.
    """

    def __init__(self, chunks: AsyncGenerator[GenerateResponse, None], call: Call) -> None:
        self._chunks = chunks
        self._call = call
        self._done = False

    def __aiter__(self) -> Stream:
        return self

    async def __anext__(self) -> GenerateResponse:
        try:
            return await self._chunks.__anext__()
        except StopAsyncIteration:
            self._done = True
            raise

    async def aclose(self) -> None:
        await self._chunks.aclose()

    async def __aenter__(self) -> Stream:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    @property
    def text(self) -> str:
        """The text received so far."""
        return "".join(self._call.text_parts)

    @property
    def usage(self) -> Usage:
        """The usage seen so far (the last chunk's: cumulative). After a stream that failed
        midway, this is what was charged."""
        return self._call.usage

    @property
    def cost_usd(self) -> Decimal | None:
        """The cost charged, once the stream has ended, normally or not (``None`` before, or
        when the model's price is unknown)."""
        return self._call.cost_usd

    @property
    def request_id(self) -> str:
        return self._call.id

    @property
    def result(self) -> Result:
        """The final result; only after the stream ended normally."""
        if not self._done:
            raise RuntimeError("the stream has not ended yet")
        return Result.of(self._call)
