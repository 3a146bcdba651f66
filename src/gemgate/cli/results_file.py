"""The output of ``gemgate run``: one JSON line per input line, safe to resume.

Each result is appended with a single ``write`` on an ``O_APPEND`` descriptor, so an interrupted
run (Ctrl-C, SIGTERM, even ``kill -9``) leaves whole lines. On a rerun the file is read back:
ids that completed are skipped (never sent, never paid for twice); lines of failures are dropped,
so those ids are tried again, as is a line torn by a kill. The file is then rewritten atomically,
so it keeps one line per id. A file that is not a results file is refused, never overwritten.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from gemgate.errors import ConfigError

__all__ = ["ResultsFile"]


class ResultsFile:
    """Appends result lines; knows which ids a previous run completed."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.completed: set[str] = set()
        self._fd: int | None = None

    def load(self) -> int:
        """Read a previous run's results; returns how many ids completed."""
        if not self.path.exists():
            return 0
        text = self.path.read_text(encoding="utf-8", errors="replace")
        lines = text.splitlines()
        kept: list[str] = []
        for number, line in enumerate(lines, start=1):
            record = _record(line)
            if record is None:
                torn = number == len(lines) and not text.endswith("\n") and _cut_off(line)
                if torn or not line.strip():
                    continue  # a blank line, or the last line cut off by an interrupted run
                raise ConfigError(
                    str(self.path),
                    f"line {number}",
                    "not a gemgate results line; refusing to "
                    "overwrite this file (choose another -o)",
                )
            if record["status"] == "completed" and record["id"] not in self.completed:
                self.completed.add(record["id"])
                kept.append(line + "\n")
        if len(kept) != len(lines):
            self._rewrite(kept)
        return len(self.completed)

    def _rewrite(self, lines: list[str]) -> None:
        tmp = self.path.with_name(self.path.name + ".tmp")
        with tmp.open("w", encoding="utf-8") as out:
            out.writelines(lines)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, self.path)

    def open(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)

    def append(self, record: dict[str, Any]) -> None:
        if self._fd is None:
            raise RuntimeError("results file is not open")
        data = (json.dumps(record, ensure_ascii=False) + "\n").encode("utf-8")
        while data:
            written = os.write(self._fd, data)
            data = data[written:]

    def close(self) -> None:
        if self._fd is not None:
            fd, self._fd = self._fd, None
            try:
                os.fsync(fd)
            finally:
                os.close(fd)


def _cut_off(line: str) -> bool:
    """A results line that an interrupted write cut short: the start of a JSON object that
    does not parse (a whole object of another shape is not ours, and is refused)."""
    if not line.startswith("{"):
        return False
    try:
        json.loads(line)
    except ValueError:
        return True
    return False


def _record(line: str) -> dict[str, Any] | None:
    """A results line: a JSON object with a string ``id`` and a ``status``."""
    try:
        record = json.loads(line)
    except ValueError:
        return None
    if isinstance(record, dict) and isinstance(record.get("id"), str) and "status" in record:
        return record
    return None
