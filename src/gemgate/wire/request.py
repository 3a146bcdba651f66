"""Build the JSON body of a generateContent / countTokens request.

The caller may pass a plain string or full Gemini ``contents``; fields gemgate keeps for itself
(user, feature, team, priority, deadline) are never part of the body: they are not arguments here.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from gemgate.errors import InvalidRequest

__all__ = ["Contents", "build_generate_body", "normalize_contents", "prompt_text"]

Contents = str | Sequence[Mapping[str, Any]] | Mapping[str, Any]


def normalize_contents(contents: Contents) -> list[Mapping[str, Any]]:
    """A string, one Content, or a list of Contents -> a list of Content objects."""
    if isinstance(contents, str):
        return [{"role": "user", "parts": [{"text": contents}]}]
    if isinstance(contents, Mapping):
        contents = [contents]
    if not contents:
        raise InvalidRequest("contents must not be empty")
    out: list[Mapping[str, Any]] = []
    for i, item in enumerate(contents):
        if not isinstance(item, Mapping) or not isinstance(item.get("parts"), list):
            raise InvalidRequest(f"contents[{i}] must be an object with a 'parts' list")
        out.append(item)
    return out


def _instruction(system: str | Mapping[str, Any]) -> Mapping[str, Any]:
    return {"parts": [{"text": system}]} if isinstance(system, str) else system


def build_generate_body(
    contents: Contents,
    *,
    system_instruction: str | Mapping[str, Any] | None = None,
    generation_config: Mapping[str, Any] | None = None,
    safety_settings: Sequence[Mapping[str, Any]] | None = None,
    tools: Sequence[Mapping[str, Any]] | None = None,
    tool_config: Mapping[str, Any] | None = None,
    cached_content: str | None = None,
) -> dict[str, Any]:
    """The request body, camelCase as the API expects; empty options are left out."""
    body: dict[str, Any] = {"contents": normalize_contents(contents)}
    if system_instruction:
        body["systemInstruction"] = _instruction(system_instruction)
    if generation_config:
        body["generationConfig"] = dict(generation_config)
    if safety_settings:
        body["safetySettings"] = list(safety_settings)
    if tools:
        body["tools"] = list(tools)
    if tool_config:
        body["toolConfig"] = dict(tool_config)
    if cached_content:
        body["cachedContent"] = cached_content
    return body


def prompt_text(body: Mapping[str, Any]) -> str:
    """All the text a request sends (system instruction and contents), for estimates."""
    chunks: list[str] = []
    system = body.get("systemInstruction")
    for content in ([system] if system else []) + list(body.get("contents", ())):
        for part in content.get("parts", ()):
            text = part.get("text") if isinstance(part, Mapping) else None
            if isinstance(text, str):
                chunks.append(text)
    return "\n".join(chunks)
