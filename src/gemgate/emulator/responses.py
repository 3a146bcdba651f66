"""Response bodies in the service's own shapes and key order.

Developer API (``gemini-api-generate-gemini-3-pro-preview.json``): ``parts`` before ``role``,
``index`` on each candidate, usage in every stream chunk (cumulative). Vertex AI
(``vertex-generate-gemini-2.5-flash-2025-08.json``): ``role`` before ``parts``, no ``index``,
``trafficType`` and ``candidatesTokensDetails`` in usage, ``createTime``, usage only in the last
stream chunk.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from gemgate.emulator.answers import Answer
from gemgate.emulator.tokens import PromptTokens

__all__ = [
    "TOKENS_PER_CHUNK",
    "ResponseContext",
    "blocked_response",
    "count_tokens_response",
    "full_response",
    "stream_chunks",
]

TOKENS_PER_CHUNK = 8
_SAFETY_RATINGS = (
    ("HARM_CATEGORY_SEXUALLY_EXPLICIT", "NEGLIGIBLE"),
    ("HARM_CATEGORY_HATE_SPEECH", "NEGLIGIBLE"),
    ("HARM_CATEGORY_HARASSMENT", "NEGLIGIBLE"),
    ("HARM_CATEGORY_DANGEROUS_CONTENT", "HIGH"),
)

Json = dict[str, Any]


@dataclass(frozen=True, slots=True)
class ResponseContext:
    """What every body of one answer shares."""

    vertex: bool
    model_version: str
    response_id: str
    prompt: PromptTokens
    create_time: str = ""


def _tail(ctx: ResponseContext) -> Json:
    if ctx.vertex:
        return {
            "modelVersion": ctx.model_version,
            "createTime": ctx.create_time,
            "responseId": ctx.response_id,
        }
    return {"modelVersion": ctx.model_version, "responseId": ctx.response_id}


def _usage(ctx: ResponseContext, candidates: int, thoughts: int) -> Json:
    prompt = ctx.prompt.total
    usage: Json = {"promptTokenCount": prompt}
    if candidates:
        usage["candidatesTokenCount"] = candidates
    usage["totalTokenCount"] = prompt + candidates + thoughts
    if ctx.vertex:
        usage["trafficType"] = "ON_DEMAND"
    usage["promptTokensDetails"] = ctx.prompt.details()
    if ctx.vertex and candidates:
        usage["candidatesTokensDetails"] = [{"modality": "TEXT", "tokenCount": candidates}]
    if thoughts:
        usage["thoughtsTokenCount"] = thoughts
    if not ctx.vertex:
        usage["serviceTier"] = "standard"
    return usage


def _candidate(ctx: ResponseContext, parts: list[Json] | None, finish: str | None) -> Json:
    candidate: Json = {}
    if parts is not None:
        vertex_order = {"role": "model", "parts": parts}
        candidate["content"] = vertex_order if ctx.vertex else {"parts": parts, "role": "model"}
    if finish:
        candidate["finishReason"] = finish
    if finish == "SAFETY":
        candidate["safetyRatings"] = [_rating(cat, p) for cat, p in _SAFETY_RATINGS]
    if not ctx.vertex:
        candidate["index"] = 0
    return candidate


def _rating(category: str, probability: str) -> Json:
    rating: Json = {"category": category, "probability": probability}
    if probability == "HIGH":
        rating["blocked"] = True
    return rating


def _answer_parts(answer: Answer) -> list[Json] | None:
    if answer.text is None:
        return None
    parts: list[Json] = []
    if answer.thought_summary:
        parts.append({"text": answer.thought_summary, "thought": True})
    part: Json = {"text": answer.text}
    if answer.signature:
        part["thoughtSignature"] = answer.signature
    parts.append(part)
    return parts


def full_response(ctx: ResponseContext, answer: Answer) -> Json:
    """The body of a ``generateContent`` answer."""
    candidate = _candidate(ctx, _answer_parts(answer), answer.finish_reason)
    if ctx.vertex and answer.text is not None:
        candidate["avgLogprobs"] = answer.avg_logprobs
    usage = _usage(ctx, answer.candidates_tokens, answer.thoughts_tokens)
    return {"candidates": [candidate], "usageMetadata": usage, **_tail(ctx)}


def stream_chunks(ctx: ResponseContext, answer: Answer) -> list[Json]:
    """The chunks of a ``streamGenerateContent`` answer; the last carries the finish reason."""
    plan: list[tuple[list[Json] | None, int]] = []
    if answer.thought_summary:
        plan.append(([{"text": answer.thought_summary, "thought": True}], 0))
    plan += [([{"text": piece}], done) for piece, done in answer.text_pieces(TOKENS_PER_CHUNK)]
    if answer.signature:
        plan.append(
            ([{"text": "", "thoughtSignature": answer.signature}], answer.candidates_tokens)
        )
    if not plan:
        plan.append((None, 0))
    last = len(plan) - 1
    return [
        _chunk(ctx, parts, done, answer, index == last) for index, (parts, done) in enumerate(plan)
    ]


def _chunk(
    ctx: ResponseContext, parts: list[Json] | None, done: int, answer: Answer, last: bool
) -> Json:
    candidate = _candidate(ctx, parts, answer.finish_reason if last else None)
    chunk: Json = {"candidates": [candidate]}
    if last or not ctx.vertex:
        chunk["usageMetadata"] = _usage(ctx, done, answer.thoughts_tokens)
    return {**chunk, **_tail(ctx)}


def blocked_response(ctx: ResponseContext, reason: str) -> Json:
    """HTTP 200 with ``promptFeedback.blockReason`` and no candidates."""
    return {
        "promptFeedback": {"blockReason": reason},
        "usageMetadata": _usage(ctx, 0, 0),
        **_tail(ctx),
    }


def count_tokens_response(prompt: PromptTokens, vertex: bool) -> Json:
    """The ``countTokens`` body; it agrees with ``promptTokenCount`` for the same request."""
    body: Json = {"totalTokens": prompt.total}
    if vertex:
        body["totalBillableCharacters"] = prompt.characters
    body["promptTokensDetails"] = prompt.details()
    return body
