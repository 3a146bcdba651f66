"""Reading request bodies the way the service does: camelCase, or the SDK's snake_case.

The official SDK sends most keys in camelCase but some nested ones in snake_case
(``thinkingConfig.thinking_budget``, ``inlineData.mime_type``), and the service accepts both.
``field(obj, "thinkingBudget")`` looks a key up under both spellings.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

__all__ = ["GenerationSettings", "PayloadError", "field", "generate_request", "settings_of"]

_UPPER = re.compile(r"(?<!^)([A-Z])")


class PayloadError(ValueError):
    """A request body the service would reject with 400 INVALID_ARGUMENT."""


def snake(name: str) -> str:
    """``thinkingBudget`` -> ``thinking_budget``."""
    return _UPPER.sub(r"_\1", name).lower()


def field(obj: object, name: str) -> Any:
    """``obj[name]``, or ``obj[snake(name)]``, or ``None`` (also when ``obj`` is no mapping)."""
    if not isinstance(obj, Mapping):
        return None
    if name in obj:
        return obj[name]
    return obj.get(snake(name))


def generate_request(body: Mapping[str, Any], request_name: str) -> Mapping[str, Any]:
    """The GenerateContentRequest inside a body; countTokens may wrap it.

    Raises ``PayloadError`` when there is nothing to generate from, as the service does.
    """
    inner = field(body, "generateContentRequest")
    request: Mapping[str, Any] = inner if isinstance(inner, Mapping) else body
    contents = field(request, "contents")
    if not isinstance(contents, list) or not contents:
        raise PayloadError(f"* {request_name}.contents: contents is not specified\n")
    if not all(isinstance(content, Mapping) for content in contents):
        raise PayloadError(f"* {request_name}.contents: each content must be an object\n")
    return request


@dataclass(frozen=True, slots=True)
class GenerationSettings:
    """The parts of ``generationConfig`` that shape an answer."""

    max_output_tokens: int | None = None
    thinks: bool = False
    thinking_budget: int | None = None
    thinking_level: str | None = None
    include_thoughts: bool = False


def settings_of(request: Mapping[str, Any]) -> GenerationSettings:
    """Read ``generationConfig`` (either spelling), tolerating absent or odd values."""
    config = field(request, "generationConfig")
    max_tokens = _positive_int(field(config, "maxOutputTokens"))
    thinking = field(config, "thinkingConfig")
    if not isinstance(thinking, Mapping):
        return GenerationSettings(max_output_tokens=max_tokens)
    budget = field(thinking, "thinkingBudget")
    budget = int(budget) if isinstance(budget, int | float) else None
    level = field(thinking, "thinkingLevel")
    level = str(level).upper() if level is not None else None
    include = bool(field(thinking, "includeThoughts"))
    thinks = budget != 0 if budget is not None else (level is not None or include)
    return GenerationSettings(max_tokens, thinks, budget, level, include and thinks)


def _positive_int(value: object) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return int(value) if value >= 1 else None
