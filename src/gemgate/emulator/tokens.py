"""The emulator's own token estimate: simple, deterministic, and the same everywhere it is used.

A token is a run of up to 10 word characters or one other non-space character, so
``"Hi there!"`` is 3 tokens. Media parts (``inlineData``, ``fileData``) count a flat 258 tokens,
the service's figure for a small image. ``countTokens`` and ``usageMetadata.promptTokenCount``
both come from ``count_prompt``, so they always agree.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from gemgate.emulator.payload import field as get

__all__ = ["MEDIA_TOKENS", "PromptTokens", "count_prompt", "count_text", "token_spans"]

MEDIA_TOKENS = 258
_TOKEN = re.compile(r"\w{1,10}|[^\w\s]")


def token_spans(text: str) -> list[tuple[int, int]]:
    """The (start, end) offsets of each token of ``text``."""
    return [match.span() for match in _TOKEN.finditer(text)]


def count_text(text: str) -> int:
    """How many tokens ``text`` is."""
    return sum(1 for _ in _TOKEN.finditer(text))


@dataclass(slots=True)
class PromptTokens:
    """Prompt tokens by modality, in first-seen order; ``characters`` counts non-space text."""

    by_modality: dict[str, int] = field(default_factory=dict)
    characters: int = 0

    @property
    def total(self) -> int:
        return sum(self.by_modality.values())

    def add(self, modality: str, tokens: int) -> None:
        self.by_modality[modality] = self.by_modality.get(modality, 0) + tokens

    def details(self) -> list[dict[str, Any]]:
        """``promptTokensDetails``: one ``{"modality", "tokenCount"}`` per modality."""
        return [{"modality": m, "tokenCount": n} for m, n in self.by_modality.items()]


def count_prompt(request: Mapping[str, Any]) -> PromptTokens:
    """Tokens of every part of ``contents`` and ``systemInstruction``, plus the tool schemas."""
    tally = PromptTokens()
    system = get(request, "systemInstruction")
    contents: list[Any] = [system] if isinstance(system, Mapping) else []
    contents += [c for c in get(request, "contents") or [] if isinstance(c, Mapping)]
    for content in contents:
        parts = get(content, "parts")
        for part in parts if isinstance(parts, list) else []:
            _count_part(tally, part)
    tools = get(request, "tools")
    if tools:
        _add_text(tally, json.dumps(tools, sort_keys=True, ensure_ascii=False))
    return tally


def _add_text(tally: PromptTokens, text: str) -> None:
    tally.add("TEXT", count_text(text))
    tally.characters += sum(1 for ch in text if not ch.isspace())


def _count_part(tally: PromptTokens, part: object) -> None:
    if not isinstance(part, Mapping):
        return
    text = get(part, "text")
    if isinstance(text, str):
        _add_text(tally, text)
    for name in ("inlineData", "fileData"):
        media = get(part, name)
        if isinstance(media, Mapping):
            tally.add(_modality(get(media, "mimeType")), MEDIA_TOKENS)
    for piece in _structured_texts(part):
        _add_text(tally, piece)


def _structured_texts(part: Mapping[str, Any]) -> Iterable[str]:
    for name, keys in (
        ("functionCall", ("name", "args")),
        ("functionResponse", ("name", "response")),
        ("executableCode", ("code",)),
        ("codeExecutionResult", ("output",)),
    ):
        value = get(part, name)
        if isinstance(value, Mapping):
            yield " ".join(_as_text(get(value, key)) for key in keys)


def _as_text(value: object) -> str:
    if value is None:
        return ""
    return value if isinstance(value, str) else json.dumps(value, sort_keys=True)


def _modality(mime_type: object) -> str:
    kind = str(mime_type or "").split("/", 1)[0].lower()
    return {"image": "IMAGE", "audio": "AUDIO", "video": "VIDEO"}.get(kind, "DOCUMENT")
