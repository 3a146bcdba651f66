"""Deterministic answers: the same seed, model and prompt always give the same text.

The text is a few sentences drawn from small word lists by a ``random.Random`` seeded with a
digest of (seed, model, contents, systemInstruction, tools). ``maxOutputTokens`` cuts it after
that many tokens (finish reason ``MAX_TOKENS``); thinking, when asked for, adds a
``thoughtsTokenCount`` and a ``thoughtSignature``.
"""

from __future__ import annotations

import base64
import hashlib
import json
import random
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from gemgate.emulator.payload import GenerationSettings, field
from gemgate.emulator.tokens import count_text, token_spans

__all__ = ["Answer", "compose_text", "make_answer", "request_digest"]

_SUBJECTS = (
    "The emulator", "A careful client", "Every request", "The rate limiter", "This answer",
    "A patient caller", "The quota window", "Each retry", "The model", "A stream of chunks",
)  # fmt: skip
_VERBS = (
    "reports",
    "measures",
    "returns",
    "explains",
    "counts",
    "describes",
    "confirms",
    "follows",
)
_OBJECTS = (
    "the tokens it was given", "a deterministic reply", "the usage it observed",
    "every window of time", "the shape of the real service", "a few plain sentences",
    "the prompt's fingerprint", "its own simple estimate", "the limits it enforces",
)  # fmt: skip
_TAILS = (
    "without surprises", "for each seed", "on the loopback interface", "in a predictable order",
    "so tests can assert exact values", "one chunk at a time", "before the window closes",
)  # fmt: skip
_SAFETY_TEXT = "I can't help with that request."


def request_digest(seed: int, model: str, request: Mapping[str, Any]) -> bytes:
    """A digest of everything that decides the answer's text."""
    material = {
        "seed": seed,
        "model": model,
        "contents": field(request, "contents"),
        "system": field(request, "systemInstruction"),
        "tools": field(request, "tools"),
    }
    encoded = json.dumps(material, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(encoded.encode()).digest()


def compose_text(digest: bytes) -> str:
    """Three to six sentences, chosen by the digest."""
    rng = random.Random(digest)
    sentences = [
        f"{rng.choice(_SUBJECTS)} {rng.choice(_VERBS)} {rng.choice(_OBJECTS)} {rng.choice(_TAILS)}."
        for _ in range(rng.randint(3, 6))
    ]
    return " ".join(sentences)


@dataclass(frozen=True, slots=True)
class Answer:
    """One candidate: its text (``None`` when withheld), token counts and finish reason."""

    text: str | None
    candidates_tokens: int
    finish_reason: str
    thoughts_tokens: int = 0
    thought_summary: str | None = None
    signature: str | None = None
    avg_logprobs: float = -0.5

    def text_pieces(self, tokens_per_piece: int) -> list[tuple[str, int]]:
        """The text split at token boundaries: (piece, cumulative tokens) per stream chunk."""
        if not self.text:
            return []
        spans = token_spans(self.text)
        starts = [0] + [spans[i][0] for i in range(tokens_per_piece, len(spans), tokens_per_piece)]
        ends = [*starts[1:], len(self.text)]
        return [
            (self.text[start:end], min(len(spans), (index + 1) * tokens_per_piece))
            for index, (start, end) in enumerate(zip(starts, ends, strict=True))
        ]


def make_answer(digest: bytes, settings: GenerationSettings, finish: str | None = None) -> Answer:
    """The answer for a request; ``finish`` forces a finish reason (a ``finish`` fault)."""
    thoughts, summary, signature = _thinking(digest, settings)
    logprobs = -round(0.05 + int.from_bytes(digest[4:6], "big") / 65536, 6)
    if finish == "SAFETY":
        return Answer(None, 0, "SAFETY", thoughts, None, None, logprobs)
    text = compose_text(digest)
    spans = token_spans(text)
    limit = settings.max_output_tokens
    if finish == "MAX_TOKENS":
        limit = min(limit or len(spans), max(1, len(spans) // 2))
    reason = finish or "STOP"
    if limit is not None and limit < len(spans):
        text, reason = text[: spans[limit - 1][1]], "MAX_TOKENS"
    return Answer(text, count_text(text), reason, thoughts, summary, signature, logprobs)


def _thinking(digest: bytes, settings: GenerationSettings) -> tuple[int, str | None, str | None]:
    if not settings.thinks:
        return 0, None, None
    amount = 64 + int.from_bytes(digest[:2], "big") % 448
    if settings.thinking_level in ("LOW", "MINIMAL"):
        amount //= 2
    if settings.thinking_budget is not None and settings.thinking_budget > 0:
        amount = min(amount, settings.thinking_budget)
    summary = None
    if settings.include_thoughts:
        summary = "**Planning the reply**\n\nI will answer in a few plain sentences."
        amount = max(amount, count_text(summary))
    signature = base64.b64encode(hashlib.sha256(b"sig" + digest).digest() * 3).decode()
    return amount, summary, signature
