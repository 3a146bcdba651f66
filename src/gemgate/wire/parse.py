"""Parse Gemini JSON into the types of :mod:`gemgate.wire.types`.

Parsers are lenient where the service varies (missing or ``null`` counts, Vertex field order,
extra fields) and strict where a wrong answer would mislead (a body that is not an object).
"""

from __future__ import annotations

import json
from typing import Any

from gemgate.errors import MalformedResponse
from gemgate.wire.types import Candidate, CountTokensResponse, GenerateResponse, JSONObject, Usage

__all__ = ["loads_object", "parse_count_tokens", "parse_generate_response", "parse_usage"]


def _count(obj: JSONObject, key: str) -> int:
    value = obj.get(key)
    return value if isinstance(value, int) else 0


def parse_usage(meta: JSONObject | None) -> Usage:
    """``usageMetadata`` -> :class:`Usage`; absent fields and ``null`` count as 0."""
    if not meta:
        return Usage()
    return Usage(
        prompt=_count(meta, "promptTokenCount"),
        output=_count(meta, "candidatesTokenCount"),
        cached=_count(meta, "cachedContentTokenCount"),
        thoughts=_count(meta, "thoughtsTokenCount"),
        tool_use_prompt=_count(meta, "toolUsePromptTokenCount"),
        total=_count(meta, "totalTokenCount"),
    )


def _candidate(obj: JSONObject, position: int) -> Candidate:
    content = obj.get("content") or {}
    parts = content.get("parts") or ()
    return Candidate(
        parts=tuple(p for p in parts if isinstance(p, dict)),
        role=content.get("role"),
        finish_reason=obj.get("finishReason"),
        safety_ratings=tuple(obj.get("safetyRatings") or ()),
        index=obj.get("index", position),
    )


def parse_generate_response(obj: JSONObject) -> GenerateResponse:
    """A ``generateContent`` body (or one stream chunk) -> :class:`GenerateResponse`."""
    candidates = obj.get("candidates") or ()
    feedback = obj.get("promptFeedback") or {}
    return GenerateResponse(
        candidates=tuple(_candidate(c, i) for i, c in enumerate(candidates) if isinstance(c, dict)),
        usage=parse_usage(obj.get("usageMetadata")),
        block_reason=feedback.get("blockReason"),
        model_version=obj.get("modelVersion"),
        response_id=obj.get("responseId"),
        raw=obj,
    )


def parse_count_tokens(obj: JSONObject) -> CountTokensResponse:
    """A ``countTokens`` body -> :class:`CountTokensResponse`."""
    return CountTokensResponse(
        total_tokens=_count(obj, "totalTokens"),
        cached_tokens=_count(obj, "cachedContentTokenCount"),
        raw=obj,
    )


def loads_object(body: bytes | str, *, status: int = 200) -> JSONObject:
    """Decode a success body that must be a JSON object, or raise :class:`MalformedResponse`."""
    try:
        value: Any = json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise MalformedResponse(
            f"HTTP {status} body is not valid JSON ({len(body)} bytes)", status=status
        ) from exc
    if not isinstance(value, dict):
        raise MalformedResponse(f"HTTP {status} body is not a JSON object", status=status)
    return value
