"""ResultsFile.load: what a rerun keeps, drops and refuses in an existing -o file."""

from __future__ import annotations

from pathlib import Path

import pytest

from gemgate.cli.results_file import ResultsFile
from gemgate.errors import ConfigError

DONE = '{"id": "r0", "status": "completed", "text": "x"}\n'


@pytest.mark.parametrize(
    "content",
    [
        "hello\n",
        "hello",
        '{"foo": 1}\n',
        "# notes\n",
        DONE + "a note\n",
        DONE + '{"foo": 1}\n',
        '{"id": "1", "prompt": "an input line, written without a newline"}',
    ],
)
def test_a_file_that_is_not_results_is_refused_and_left_as_it_was(
    tmp_path: Path, content: str
) -> None:
    path = tmp_path / "out.jsonl"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(ConfigError, match="refusing to overwrite"):
        ResultsFile(path).load()
    assert path.read_text(encoding="utf-8") == content


def test_a_last_line_cut_off_by_a_kill_is_dropped_and_the_rest_kept(tmp_path: Path) -> None:
    path = tmp_path / "out.jsonl"
    path.write_text(DONE + '{"id": "r1", "status": "comp', encoding="utf-8")
    results = ResultsFile(path)
    assert results.load() == 1
    assert results.completed == {"r0"}
    assert path.read_text(encoding="utf-8") == DONE
