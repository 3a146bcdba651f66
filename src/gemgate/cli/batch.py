"""Input lines of ``gemgate run``: one JSON request per line, checked one at a time.

A bad line never stops the batch: it becomes a :class:`BadLine` that is written out as a failed
result with a clear message, and the rest go on.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gemgate.queue import Priority

__all__ = ["BadLine", "BatchItem", "parse_line", "read_batch"]

_KNOWN = {
    "id",
    "prompt",
    "contents",
    "model",
    "user_id",
    "feature",
    "team",
    "priority",
    "max_output_tokens",
    "region",
    "system_instruction",
    "generation_config",
}
_PRIORITIES = {p.name.lower(): int(p) for p in Priority}


@dataclass(frozen=True, slots=True)
class BatchItem:
    id: str
    line: int
    contents: str | list[dict[str, Any]]
    model: str | None = None
    user_id: str | None = None
    feature: str | None = None
    team: str | None = None
    priority: int = Priority.NORMAL
    generation_config: dict[str, Any] = field(default_factory=dict)
    system_instruction: str | None = None
    region: str | None = None


@dataclass(frozen=True, slots=True)
class BadLine:
    id: str
    line: int
    reason: str


class _Bad(ValueError):
    pass


def _text(obj: dict[str, Any], key: str) -> str | None:
    value = obj.get(key)
    if value is not None and (not isinstance(value, str) or not value):
        raise _Bad(f"'{key}' must be a non-empty string")
    return value


def _priority(value: object) -> int:
    if value is None:
        return Priority.NORMAL
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise _Bad("'priority' must be high, normal, low or an integer")
    if isinstance(value, int):
        return value
    if value.lower() not in _PRIORITIES:
        raise _Bad(f"'priority' {value!r} is not one of high, normal, low")
    return _PRIORITIES[value.lower()]


def _contents(obj: dict[str, Any]) -> str | list[dict[str, Any]]:
    prompt, contents = obj.get("prompt"), obj.get("contents")
    if (prompt is None) == (contents is None):
        raise _Bad("give exactly one of 'prompt' or 'contents'")
    if prompt is not None:
        if not isinstance(prompt, str) or not prompt.strip():
            raise _Bad("'prompt' must be a non-empty string")
        return prompt
    if (
        not isinstance(contents, list)
        or not contents
        or not all(isinstance(c, dict) and isinstance(c.get("parts"), list) for c in contents)
    ):
        raise _Bad("'contents' must be a non-empty list of {role, parts} objects")
    return contents


def _generation_config(obj: dict[str, Any]) -> dict[str, Any]:
    raw = obj.get("generation_config") or {}
    if not isinstance(raw, dict):
        raise _Bad("'generation_config' must be an object")
    config = dict(raw)
    limit = obj.get("max_output_tokens")
    if limit is not None:
        if isinstance(limit, bool) or not isinstance(limit, int) or limit < 1:
            raise _Bad("'max_output_tokens' must be a positive integer")
        config["maxOutputTokens"] = limit
    return config


def _item(obj: dict[str, Any], number: int) -> BatchItem:
    unknown = sorted(set(obj) - _KNOWN)
    if unknown:
        raise _Bad(f"unknown field(s): {', '.join(unknown)}")
    return BatchItem(
        id=str(obj["id"]),
        line=number,
        contents=_contents(obj),
        model=_text(obj, "model"),
        user_id=_text(obj, "user_id"),
        feature=_text(obj, "feature"),
        team=_text(obj, "team"),
        priority=_priority(obj.get("priority")),
        generation_config=_generation_config(obj),
        system_instruction=_text(obj, "system_instruction"),
        region=_text(obj, "region"),
    )


def parse_line(text: str, number: int) -> BatchItem | BadLine:
    """One input line -> an item, or a :class:`BadLine` saying what is wrong with it."""
    fallback_id = f"line-{number}"
    try:
        obj = json.loads(text.rstrip("\r\n"))
    except json.JSONDecodeError as exc:
        where = f"{exc.msg}: column {exc.colno}"
        return BadLine(fallback_id, number, f"line {number}: not valid JSON ({where})")
    if not isinstance(obj, dict):
        return BadLine(fallback_id, number, f"line {number}: not a JSON object")
    raw_id = obj.get("id")
    if raw_id is None:
        return BadLine(fallback_id, number, f"line {number}: missing 'id'")
    if not isinstance(raw_id, str | int) or isinstance(raw_id, bool) or raw_id == "":
        return BadLine(fallback_id, number, f"line {number}: 'id' must be a string or integer")
    try:
        return _item(obj, number)
    except _Bad as exc:
        return BadLine(str(raw_id), number, f"line {number}: {exc}")


def read_batch(path: Path) -> Iterator[BatchItem | BadLine]:
    """Each non-blank line of ``path``; a repeated id is a bad line, not a second request."""
    seen: set[str] = set()
    with path.open(encoding="utf-8-sig", errors="replace") as lines:
        for number, text in enumerate(lines, start=1):
            if not text.strip():
                continue
            item = parse_line(text, number)
            if item.id in seen:
                yield BadLine(
                    f"{item.id}@line-{number}", number, f"line {number}: duplicate id {item.id!r}"
                )
                continue
            seen.add(item.id)
            yield item
