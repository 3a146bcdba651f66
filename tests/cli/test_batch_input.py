"""Input lines: each bad line is named and explained; good lines are read exactly."""

from __future__ import annotations

from pathlib import Path

import pytest

from gemgate.cli.batch import BadLine, BatchItem, parse_line, read_batch
from gemgate.queue import Priority


def test_a_full_line_is_read_exactly() -> None:
    item = parse_line(
        '{"id": 7, "prompt": "hi", "model": "gemini-2.5-pro", "user_id": "u", '
        '"feature": "f", "team": "t", "priority": "high", "max_output_tokens": 16}',
        3,
    )
    assert item == BatchItem(
        id="7",
        line=3,
        contents="hi",
        model="gemini-2.5-pro",
        user_id="u",
        feature="f",
        team="t",
        priority=Priority.HIGH,
        generation_config={"maxOutputTokens": 16},
    )


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ('{"id": "a", "prompt": "x"', "not valid JSON"),
        ('["id"]', "not a JSON object"),
        ('{"prompt": "x"}', "missing 'id'"),
        ('{"id": true, "prompt": "x"}', "'id' must be a string or integer"),
        ('{"id": "a"}', "exactly one of 'prompt' or 'contents'"),
        ('{"id": "a", "prompt": "x", "contents": []}', "exactly one of"),
        ('{"id": "a", "prompt": "   "}', "non-empty string"),
        ('{"id": "a", "contents": [{"text": "x"}]}', "{role, parts}"),
        ('{"id": "a", "prompt": "x", "priority": "urgent"}', "not one of high, normal, low"),
        ('{"id": "a", "prompt": "x", "max_output_tokens": 0}', "positive integer"),
        ('{"id": "a", "prompt": "x", "temperature": 1}', "unknown field(s): temperature"),
    ],
)
def test_a_bad_line_is_explained_with_its_number(line: str, message: str) -> None:
    bad = parse_line(line, 12)
    assert isinstance(bad, BadLine)
    assert bad.reason.startswith("line 12: ")
    assert message in bad.reason


def test_a_repeated_id_is_a_bad_line_and_blank_lines_are_skipped(tmp_path: Path) -> None:
    path = tmp_path / "p.jsonl"
    path.write_text('{"id": "a", "prompt": "x"}\n\n{"id": "a", "prompt": "y"}\n')
    items = list(read_batch(path))
    assert isinstance(items[0], BatchItem)
    assert isinstance(items[1], BadLine)
    assert "duplicate id 'a'" in items[1].reason
    assert items[1].id == "a@line-3"
