"""``gemgate run``: input encodings, bad fields, the output path, and what a rerun retries."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from .conftest import Emulator, gemgate, read_jsonl


def prompts(path: Path, n: int, **extra: Any) -> Path:
    path.write_text(
        "".join(json.dumps({"id": f"r{i}", "prompt": f"q {i}", **extra}) + "\n" for i in range(n)),
        encoding="utf-8",
    )
    return path


@pytest.fixture
def keyed_emulator() -> Iterator[Emulator]:
    emu = Emulator("--api-key", "good-key-123")
    yield emu
    emu.stop()


def test_an_input_file_with_a_utf8_bom_is_read_like_any_other(tmp_path: Path) -> None:
    """Files saved by Windows editors / Excel start with a BOM; the first line must not become
    a permanent 'not valid JSON' failure."""
    src = prompts(tmp_path / "p.jsonl", 3)
    src.write_bytes(b"\xef\xbb\xbf" + src.read_bytes().replace(b"\n", b"\r\n"))
    out = tmp_path / "out.jsonl"
    run = gemgate("run", str(src), "-o", str(out), "--emulator", timeout=60)
    records = {r["id"]: r for r in read_jsonl(out)}
    assert run.returncode == 0, records
    assert {r["status"] for r in records.values()} == {"completed"}


def test_a_non_object_generation_config_is_a_bad_line_not_a_crash(tmp_path: Path) -> None:
    """batch.py's docstring: 'A bad line never stops the batch'. ``dict("fast")`` raises
    ValueError (not _Bad) inside _generation_config, and the whole run dies with a traceback
    before anything is sent."""
    src = prompts(tmp_path / "p.jsonl", 2)
    with src.open("a", encoding="utf-8") as f:
        f.write(json.dumps({"id": "bad", "prompt": "x", "generation_config": "fast"}) + "\n")
    out = tmp_path / "out.jsonl"
    run = gemgate("run", str(src), "-o", str(out), "--emulator", timeout=60)
    assert "Traceback" not in run.stderr, run.stderr[-600:]
    assert run.returncode == 1
    records = {r["id"]: r for r in read_jsonl(out)}
    assert records["bad"]["status"] == "failed"
    assert records["r0"]["status"] == records["r1"]["status"] == "completed"


def test_pointing_the_output_at_the_input_does_not_destroy_the_input(tmp_path: Path) -> None:
    """``-o`` naming the prompts file (an easy slip): ResultsFile.load() treats every prompt
    line as a dropped result and atomically rewrites the file empty, so the user's input is
    gone and the run 'succeeds' with 0 requests."""
    src = prompts(tmp_path / "p.jsonl", 3)
    before = src.read_bytes()
    gemgate("run", str(src), "-o", str(src), "--emulator", timeout=60)
    assert src.read_bytes().startswith(before)


def test_an_existing_output_file_that_is_not_results_is_not_erased(tmp_path: Path) -> None:
    """A results path that already holds something else (notes, a CSV) must be refused, not
    silently rewritten to nothing."""
    src = prompts(tmp_path / "p.jsonl", 2)
    out = tmp_path / "report.csv"
    out.write_text("id,score\nr0,1\nr1,2\n", encoding="utf-8")
    gemgate("run", str(src), "-o", str(out), "--emulator", timeout=60)
    assert out.read_text(encoding="utf-8").startswith("id,score\nr0,1\nr1,2\n")


def test_lines_that_failed_on_a_bad_key_are_sent_again_once_the_key_is_fixed(
    tmp_path: Path, keyed_emulator: Emulator
) -> None:
    """An AuthenticationError is not 'retryable' for the retry loop, but a rerun with a fixed
    key is exactly the rerun the user makes. results_file._final() settles every
    ``retryable: false`` line for good, so the fixed rerun sends nothing and exits 1 forever."""
    src = prompts(tmp_path / "p.jsonl", 3)
    out = tmp_path / "out.jsonl"
    url = keyed_emulator.url
    first = gemgate(
        "run",
        str(src),
        "-o",
        str(out),
        "--endpoint",
        url,
        timeout=60,
        GEMINI_API_KEY="wrong-key-456",
    )
    assert first.returncode == 2  # a refused key stops the run: a usage error
    assert {r["error"]["type"] for r in read_jsonl(out)} == {"AuthenticationError"}
    second = gemgate(
        "run",
        str(src),
        "-o",
        str(out),
        "--endpoint",
        url,
        timeout=60,
        GEMINI_API_KEY="good-key-123",
    )
    records = {r["id"]: r for r in read_jsonl(out)}
    assert {r["status"] for r in records.values()} == {"completed"}, second.stderr[-400:]
    assert second.returncode == 0


def test_an_endpoint_without_a_scheme_is_not_a_silent_success(tmp_path: Path) -> None:
    """``--endpoint localhost:8787`` (scheme forgotten) is a usage error (exit 2) naming the
    option, not a run that sends nothing and reports success."""
    src = prompts(tmp_path / "p.jsonl", 3)
    out = tmp_path / "out.jsonl"
    run = gemgate(
        "run", str(src), "-o", str(out), "--endpoint", "localhost:8787", GEMINI_API_KEY="k"
    )
    assert run.returncode == 2, "nothing was sent, yet the run reported success"
    assert "--endpoint" in run.stderr
    assert not out.exists()


def test_lines_that_hit_the_daily_quota_are_sent_again_on_the_next_days_rerun(
    tmp_path: Path,
) -> None:
    """DailyQuotaExhausted is not retryable *now*, but rerunning tomorrow is the fix the
    module docstring promises ('rerun to finish the rest'). _final() settles the lines for
    good, so they are never sent again."""
    plan = tmp_path / "plan.json"
    plan.write_text(
        json.dumps({"rules": [{"action": "status", "status": 429, "quota": "day", "count": 3}]}),
        encoding="utf-8",
    )
    emu = Emulator("--fault-plan", str(plan))
    try:
        src = prompts(tmp_path / "p.jsonl", 3)
        out = tmp_path / "out.jsonl"
        first = gemgate("run", str(src), "-o", str(out), "--endpoint", emu.url, GEMINI_API_KEY="k")
        assert first.returncode == 1
        assert {r["error"]["type"] for r in read_jsonl(out)} == {"DailyQuotaExhausted"}
        # the quota has reset (the rule is spent): a rerun should finish the batch
        second = gemgate("run", str(src), "-o", str(out), "--endpoint", emu.url, GEMINI_API_KEY="k")
        assert {r["status"] for r in read_jsonl(out)} == {"completed"}
        assert second.returncode == 0
    finally:
        emu.stop()
