"""The output of ``gemgate run``: one JSON line per input line, safe to resume.

Each result is appended with a single ``write`` on an ``O_APPEND`` descriptor, so an interrupted
run (Ctrl-C, SIGTERM, even ``kill -9``) leaves whole lines. On a rerun the file is read back:
ids that completed, or failed for a reason a retry cannot fix, are skipped; lines of requests
that failed transiently are dropped (they are tried again), as is a torn last line. The file is
rewritten atomically only when something was dropped, so it always has one line per id.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

__all__ = ["ResultsFile"]


def _final(record: dict[str, Any]) -> bool:
    """Whether a recorded outcome stands (a rerun would not change it)."""
    return record.get("status") == "completed" or record.get("retryable") is False


class ResultsFile:
    """Appends result lines; knows which ids a previous run already settled."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.settled: set[str] = set()
        self.settled_failures = 0
        self._fd: int | None = None

    def load(self) -> int:
        """Read a previous run's results; returns how many ids are settled."""
        if not self.path.exists():
            return 0
        kept: list[str] = []
        dropped = False
        with self.path.open(encoding="utf-8", errors="replace") as lines:
            for line in lines:
                record = _record(line)
                if record is None or not _final(record) or record["id"] in self.settled:
                    dropped = dropped or bool(line.strip())
                    continue
                self.settled.add(record["id"])
                self.settled_failures += record.get("status") != "completed"
                kept.append(line if line.endswith("\n") else line + "\n")
        if dropped:
            self._rewrite(kept)
        return len(self.settled)

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
            os.fsync(self._fd)
            os.close(self._fd)
            self._fd = None


def _record(line: str) -> dict[str, Any] | None:
    try:
        record = json.loads(line)
    except ValueError:
        return None
    if isinstance(record, dict) and isinstance(record.get("id"), str):
        return record
    return None
