"""Gemini response types: small frozen records over the parsed JSON.

The raw JSON stays available (``raw``) so nothing the service sends is lost; the typed fields are
the ones gemgate and its users act on.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

__all__ = ["Candidate", "CountTokensResponse", "GenerateResponse", "Usage"]

JSONObject = dict[str, Any]


@dataclass(frozen=True, slots=True)
class Usage:
    """Token counts of one response (``usageMetadata``); missing or null fields count as 0.

    ``cached`` tokens are part of ``prompt``. ``total`` is the service's own
    ``totalTokenCount`` = prompt + output + thoughts + tool_use_prompt.
    """

    prompt: int = 0
    output: int = 0
    cached: int = 0
    thoughts: int = 0
    tool_use_prompt: int = 0
    total: int = 0

    def as_dict(self) -> dict[str, int]:
        return {
            "prompt": self.prompt,
            "output": self.output,
            "cached": self.cached,
            "thoughts": self.thoughts,
            "tool_use_prompt": self.tool_use_prompt,
            "total": self.total,
        }


@dataclass(frozen=True, slots=True)
class Candidate:
    """One candidate: its parts, role, finish reason and safety ratings."""

    parts: tuple[JSONObject, ...]
    role: str | None = None
    finish_reason: str | None = None
    safety_ratings: tuple[JSONObject, ...] = ()
    index: int = 0

    @property
    def text(self) -> str:
        """The answer's text: text parts joined, thought parts left out."""
        return "".join(p["text"] for p in self.parts if "text" in p and not p.get("thought"))

    @property
    def thoughts(self) -> str:
        """The thought summaries (parts marked ``thought: true``), joined."""
        return "".join(p.get("text", "") for p in self.parts if p.get("thought"))


@dataclass(frozen=True, slots=True)
class GenerateResponse:
    """A ``generateContent`` response, or one chunk of a stream."""

    candidates: tuple[Candidate, ...]
    usage: Usage
    block_reason: str | None = None
    model_version: str | None = None
    response_id: str | None = None
    raw: JSONObject = field(default_factory=dict, repr=False, compare=False)

    @property
    def text(self) -> str:
        """The first candidate's text (thought parts excluded); ``""`` when there is none."""
        return self.candidates[0].text if self.candidates else ""

    @property
    def thoughts(self) -> str:
        return self.candidates[0].thoughts if self.candidates else ""

    @property
    def finish_reason(self) -> str | None:
        return self.candidates[0].finish_reason if self.candidates else None


@dataclass(frozen=True, slots=True)
class CountTokensResponse:
    """A ``countTokens`` response."""

    total_tokens: int
    cached_tokens: int = 0
    raw: JSONObject = field(default_factory=dict, repr=False, compare=False)
