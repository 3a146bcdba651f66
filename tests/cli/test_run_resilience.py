"""`gemgate run` when a region is down: unpinned lines fail over, pinned lines stay, and the
summary says why lines failed and which circuits opened."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from .conftest import KEY, Emulator, gemgate, read_jsonl

CONFIG = """
[endpoint]
kind = "vertex"
project = "p"
regions = ["us-central1", "europe-west1"]
"""


@pytest.fixture
def primary_down(tmp_path: Path) -> Iterator[Emulator]:
    plan = tmp_path / "plan.json"
    plan.write_text(json.dumps({"rules": [{"action": "status", "status": 503,
                                           "region": "us-central1"}]}))  # fmt: skip
    emu = Emulator("--fault-plan", str(plan))
    yield emu
    emu.stop()


def run_on_vertex(
    tmp_path: Path, emulator: Emulator, lines: list[dict[str, str]], *, circuit_wait: str
) -> tuple[subprocess.CompletedProcess[str], dict[str, dict[str, Any]], dict[str, Any]]:
    """`gemgate run` of ``lines`` at concurrency 1 on two Vertex regions: the process, the
    results by id, the summary."""
    prompts, out = tmp_path / "p.jsonl", tmp_path / "out.jsonl"
    prompts.write_text("".join(json.dumps(line) + "\n" for line in lines))
    config, summary = tmp_path / "gemgate.toml", tmp_path / "s.json"
    config.write_text(CONFIG)
    result = gemgate(
        "run", str(prompts), "-o", str(out), "--config", str(config),
        "--endpoint", emulator.url, "--summary-json", str(summary), "--concurrency", "1",
        "--circuit-wait", circuit_wait, GEMINI_API_KEY=KEY,
    )  # fmt: skip
    by_id = {r["id"]: r for r in read_jsonl(out)}
    return result, by_id, json.loads(summary.read_text())


def test_lines_fail_over_unless_pinned_and_the_summary_says_why(
    tmp_path: Path, primary_down: Emulator
) -> None:
    lines = [{"id": f"free-{i}", "prompt": f"question {i}"} for i in range(30)]
    lines += [{"id": f"eu-{i}", "prompt": f"q {i}", "region": "europe-west1"} for i in range(5)]
    lines += [{"id": f"us-{i}", "prompt": f"q {i}", "region": "us-central1"} for i in range(5)]
    # the pinned lines wait 0.2 s for us-central1, then fail
    result, by_id, s = run_on_vertex(tmp_path, primary_down, lines, circuit_wait="0.2")
    assert result.returncode == 1, result.stderr
    assert len(by_id) == 40
    for i in range(30):
        assert (by_id[f"free-{i}"]["status"], by_id[f"free-{i}"]["region"]) == (
            "completed",
            "europe-west1",
        )
    assert {by_id[f"eu-{i}"]["region"] for i in range(5)} == {"europe-west1"}
    pinned_us = [by_id[f"us-{i}"] for i in range(5)]
    assert {r["status"] for r in pinned_us} == {"failed"}
    assert {r["error"]["type"] for r in pinned_us} == {"CircuitOpen"}
    by_region = primary_down.stats()["by_region"]
    assert by_region["us-central1"] == 5  # the threshold; nothing after the circuit opened
    assert s["failed_by_error"] == {"CircuitOpen": 5}
    assert s["circuits_opened"] == {"us-central1/gemini-2.5-flash": 1}
    assert "circuits opened" in result.stderr


def test_a_short_outage_pauses_the_batch_instead_of_failing_it(tmp_path: Path) -> None:
    """The first line's three 503s open the only circuit; it and the other lines wait for it
    (not fail at once), the probe finds the service back, and every line completes."""
    plan = tmp_path / "plan.json"
    plan.write_text(json.dumps({"rules": [{"action": "status", "status": 503, "count": 3}]}))
    emu = Emulator("--fault-plan", str(plan))
    config, summary = tmp_path / "gemgate.toml", tmp_path / "s.json"
    config.write_text("[breaker]\nfailure_threshold = 3\nopen_s = 1.0\n")
    prompts, out = tmp_path / "p.jsonl", tmp_path / "out.jsonl"
    prompts.write_text("".join(json.dumps({"id": f"l{i}", "prompt": f"q {i}"}) + "\n"
                               for i in range(10)))  # fmt: skip
    try:
        result = gemgate(
            "run", str(prompts), "-o", str(out), "--config", str(config), "--endpoint", emu.url,
            "--summary-json", str(summary), "--concurrency", "1", GEMINI_API_KEY=KEY,
        )  # fmt: skip
        stats = emu.stats()
    finally:
        emu.stop()
    assert result.returncode == 0, result.stderr
    by_id = {r["id"]: r for r in read_jsonl(out)}
    assert all(by_id[f"l{i}"]["status"] == "completed" for i in range(10))
    assert by_id["l0"]["attempts"] == 4  # its three 503s, then after the wait the probe
    assert by_id["l0"]["latency_ms"] >= 1000  # end to end: the wait is in it
    assert by_id["l0"]["latency_ms"] >= by_id["l0"]["queue_ms"] >= 900
    assert stats["requests_total"] == 3 + 10  # nothing sent while the circuit was open
    s = json.loads(summary.read_text())
    assert s["failed_by_error"] == {}
    assert s["circuits_opened"] == {"global/gemini-2.5-flash": 1}
    assert s["wall_s"] >= 1.0  # the open period was waited out


def test_lines_waiting_for_a_down_region_do_not_hold_up_the_others(
    tmp_path: Path, primary_down: Emulator
) -> None:
    """Twenty lines pinned to the down region come first; at concurrency 1 (two workers) the
    ten free lines still go at once, and the pinned ones wait out their 2 s together."""
    lines = [{"id": f"us-{i}", "prompt": f"q {i}", "region": "us-central1"} for i in range(20)]
    lines += [{"id": f"free-{i}", "prompt": f"q {i}"} for i in range(10)]
    result, by_id, s = run_on_vertex(tmp_path, primary_down, lines, circuit_wait="2")
    assert result.returncode == 1
    assert len(by_id) == 30
    assert all(by_id[f"free-{i}"]["status"] == "completed" for i in range(10))
    assert {by_id[f"us-{i}"]["error"]["type"] for i in range(20)} == {"CircuitOpen"}
    assert s["failed_by_error"] == {"CircuitOpen": 20}
    assert 2.0 <= s["wall_s"] < 6.0  # not 20 × 2 s one after another
    assert primary_down.stats()["by_region"]["us-central1"] == 5  # the threshold, then nothing


def test_a_circuit_wait_that_is_not_a_number_is_refused(tmp_path: Path) -> None:
    prompts = tmp_path / "p.jsonl"
    prompts.write_text('{"id": "a", "prompt": "q"}\n')
    for bad in ("nan", "inf", "-1"):
        run = gemgate("run", str(prompts), "-o", str(tmp_path / "r.jsonl"), "--emulator",
                      "--circuit-wait", bad)  # fmt: skip
        assert run.returncode == 2, bad
        assert "--circuit-wait" in run.stderr
