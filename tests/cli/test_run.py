"""`gemgate run` end to end: real processes, real sockets, the README's example file."""

from __future__ import annotations

import json
import os
import pty
import resource
import select
import signal
import subprocess
import time
from decimal import Decimal
from pathlib import Path

from .conftest import EXAMPLES, GEMGATE, KEY, Emulator, env, gemgate, read_jsonl

VALID_IDS = {
    json.loads(line)["id"]
    for line in EXAMPLES.read_text().splitlines()
    if line.strip() and not line.startswith('{"id": "p-0100"')
}


def test_the_example_batch_runs_on_the_emulator_and_resumes_without_resending(
    tmp_path: Path,
) -> None:
    out, summary = tmp_path / "results.jsonl", tmp_path / "summary.json"
    first = gemgate(
        "run", str(EXAMPLES), "-o", str(out), "--emulator", "--summary-json", str(summary)
    )
    assert first.returncode == 1, first.stderr  # the one malformed line failed
    records = read_jsonl(out)
    assert len(records) == 200
    assert {r["id"] for r in records} == VALID_IDS | {"line-100"}
    bad = next(r for r in records if r["id"] == "line-100")
    assert bad["status"] == "failed"
    assert "not valid JSON" in bad["error"]["message"]
    done = [r for r in records if r["status"] == "completed"]
    assert len(done) == 199
    assert all(r["text"] for r in done)
    s = json.loads(summary.read_text())
    assert (s["completed"], s["failed"], s["bad_input_lines"]) == (199, 1, 1)
    assert Decimal(s["cost_usd"]) == sum(Decimal(r["cost_usd"]) for r in done)
    assert s["tokens"]["total_tokens"] == sum(r["usage"]["total"] for r in done)
    assert "gemgate run" in first.stderr
    assert "cost by feature" in first.stderr

    before = out.read_bytes()
    second = gemgate(
        "run", str(EXAMPLES), "-o", str(out), "--emulator", "--summary-json", str(summary)
    )
    assert second.returncode == 1  # the malformed line is read again, and fails again
    assert sorted(out.read_text().splitlines()) == sorted(before.decode().splitlines())
    s2 = json.loads(summary.read_text())
    assert (s2["completed"], s2["skipped_already_done"], s2["tokens"]["requests"]) == (0, 199, 0)


def test_a_rerun_sends_only_what_is_missing_and_drops_torn_and_transient_lines(
    tmp_path: Path, emulator: Emulator
) -> None:
    prompts = tmp_path / "p.jsonl"
    prompts.write_text(
        "".join(json.dumps({"id": f"r{i}", "prompt": f"q {i}"}) + "\n" for i in range(20))
    )
    out = tmp_path / "out.jsonl"
    done = [{"id": f"r{i}", "status": "completed", "text": "x"} for i in range(10)]
    transient = {"id": "r10", "status": "failed", "retryable": True}
    out.write_text(
        "".join(json.dumps(r) + "\n" for r in [*done, transient]) + '{"id": "r11", "status": "comp'
    )  # torn by a kill -9
    result = gemgate(
        "run", str(prompts), "-o", str(out), "--endpoint", emulator.url, GEMINI_API_KEY=KEY
    )
    assert result.returncode == 0, result.stderr
    records = read_jsonl(out)
    assert sorted(r["id"] for r in records) == sorted(f"r{i}" for i in range(20))
    assert all(r["status"] == "completed" for r in records)
    assert emulator.stats()["requests_total"] == 10  # r10..r19 only


def test_sigterm_stops_cleanly_and_a_rerun_finishes_the_rest(
    tmp_path: Path, slow_emulator: Emulator
) -> None:
    out = tmp_path / "out.jsonl"
    args = [
        "run",
        str(EXAMPLES),
        "-o",
        str(out),
        "--endpoint",
        slow_emulator.url,
        "--concurrency",
        "4",
    ]
    proc = subprocess.Popen(
        [*GEMGATE, *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env(GEMINI_API_KEY=KEY),
    )
    time.sleep(2.0)
    proc.send_signal(signal.SIGTERM)
    _, stderr = proc.communicate(timeout=30)
    assert proc.returncode == 130, stderr
    first = read_jsonl(out)  # every line is whole JSON
    assert 0 < len(first) < 200
    assert len({r["id"] for r in first}) == len(first)

    rerun = gemgate(*args, GEMINI_API_KEY=KEY, timeout=120)
    assert rerun.returncode == 1, rerun.stderr
    final = read_jsonl(out)
    assert len(final) == 200
    assert len({r["id"] for r in final}) == 200
    assert final[: len(first)] == first  # what was done stays as it was
    sent = slow_emulator.stats()["by_status"]["200"]
    assert 199 <= sent <= 199 + 4  # only requests in flight at the signal were sent twice


def test_kill_9_leaves_only_whole_lines(tmp_path: Path, slow_emulator: Emulator) -> None:
    out = tmp_path / "out.jsonl"
    proc = subprocess.Popen(
        [
            *GEMGATE,
            "run",
            str(EXAMPLES),
            "-o",
            str(out),
            "--endpoint",
            slow_emulator.url,
            "--concurrency",
            "8",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=env(GEMINI_API_KEY=KEY),
    )
    time.sleep(1.5)
    proc.kill()
    proc.wait(timeout=10)
    records = read_jsonl(out)
    assert records
    assert all("id" in r and "status" in r for r in records)


def test_without_a_key_it_says_which_variables_to_set(tmp_path: Path) -> None:
    result = gemgate("run", str(EXAMPLES), "-o", str(tmp_path / "o.jsonl"))
    assert result.returncode == 2
    assert "GEMINI_API_KEY" in result.stderr
    assert "--emulator" in result.stderr
    assert not (tmp_path / "o.jsonl").exists()


def test_a_bad_config_file_names_the_file_and_the_key(tmp_path: Path) -> None:
    config = tmp_path / "gemgate.toml"
    config.write_text("concurrency = -3\n")
    result = gemgate(
        "run", str(EXAMPLES), "-o", str(tmp_path / "o.jsonl"), "--emulator", "--config", str(config)
    )
    assert result.returncode == 2
    assert str(config) in result.stderr.replace("\n", "")
    assert "concurrency" in result.stderr


def test_a_refused_key_stops_the_run_and_a_rerun_with_the_right_key_finishes(
    tmp_path: Path,
) -> None:
    emu = Emulator("--api-key", KEY)
    try:
        out = tmp_path / "out.jsonl"
        args = ["run", str(EXAMPLES), "-o", str(out), "--endpoint", emu.url, "--concurrency", "2"]
        refused = gemgate(*args, GEMINI_API_KEY="wrong-" + KEY)
        assert refused.returncode == 2
        assert "refused" in refused.stderr
        assert "wrong-" + KEY not in refused.stderr + out.read_text()
        assert emu.stats()["requests_total"] <= 4  # stopped at once, not 199 refusals
        fixed = gemgate(*args, GEMINI_API_KEY=KEY)
        assert fixed.returncode == 1  # only the malformed line fails
        records = read_jsonl(out)
        assert len(records) == 200
        assert sum(r["status"] == "completed" for r in records) == 199
    finally:
        emu.stop()


def test_an_unwritable_output_or_summary_file_is_refused_before_anything_is_sent(
    tmp_path: Path, emulator: Emulator
) -> None:
    prompts = tmp_path / "p.jsonl"
    prompts.write_text('{"id": "a", "prompt": "q"}\n')
    out = tmp_path / "out" / "r.jsonl"  # -o makes its folder
    args = ["run", str(prompts), "--endpoint", emulator.url]
    bad_summary = gemgate(*args, "-o", str(out), "--summary-json", str(tmp_path / "no" / "s.json"))
    assert bad_summary.returncode == 2
    assert "--summary-json" in bad_summary.stderr
    assert "no folder" in bad_summary.stderr
    bad_output = gemgate(*args, "-o", str(tmp_path), GEMINI_API_KEY=KEY)  # a folder
    assert bad_output.returncode == 2
    assert "is a directory" in bad_output.stderr
    assert emulator.stats()["requests_total"] == 0
    ok = gemgate(*args, "-o", str(out), GEMINI_API_KEY=KEY)
    assert ok.returncode == 0, ok.stderr
    assert len(read_jsonl(out)) == 1


def test_a_closed_stderr_loses_neither_the_summary_nor_the_exit_status(tmp_path: Path) -> None:
    prompts = tmp_path / "p.jsonl"
    prompts.write_text("".join(f'{{"id": "{i}", "prompt": "q {i}"}}\n' for i in range(10)))
    out, summary = tmp_path / "r.jsonl", tmp_path / "s.json"
    proc = subprocess.Popen(
        [
            *GEMGATE,
            "run",
            str(prompts),
            "-o",
            str(out),
            "--emulator",
            "--summary-json",
            str(summary),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        env=env(),
    )
    assert proc.stderr is not None
    proc.stderr.close()  # `gemgate run ... 2>&1 | head -1` once head has gone
    assert proc.wait(timeout=60) == 0
    assert json.loads(summary.read_text())["completed"] == 10
    assert len(read_jsonl(out)) == 10


def test_a_log_file_gets_the_summary_without_a_progress_bar(tmp_path: Path) -> None:
    prompts = tmp_path / "p.jsonl"
    prompts.write_text('{"id": "a", "prompt": "q"}\n')
    run = gemgate("run", str(prompts), "-o", str(tmp_path / "r.jsonl"), "--emulator")
    assert run.returncode == 0
    assert "completed" in run.stderr
    assert "1/1" not in run.stderr  # the bar's count: it draws only on a terminal


def test_on_a_terminal_the_progress_bar_draws_and_the_run_ends(tmp_path: Path) -> None:
    """stderr a pseudo-terminal, as in an interactive shell (the live bar swaps sys.stderr)."""
    prompts = tmp_path / "p.jsonl"
    prompts.write_text("".join(f'{{"id": "{i}", "prompt": "q {i}"}}\n' for i in range(10)))
    out = tmp_path / "r.jsonl"
    leader, follower = pty.openpty()
    proc = subprocess.Popen(
        [*GEMGATE, "run", str(prompts), "-o", str(out), "--emulator"],
        stdout=subprocess.DEVNULL,
        stderr=follower,
        env=env(TERM="xterm"),
    )
    os.close(follower)
    seen, deadline = b"", time.monotonic() + 60
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([leader], [], [], 0.5)
            if not ready:
                continue
            try:
                chunk = os.read(leader, 65536)
            except OSError:  # the terminal closed: the process has ended
                break
            if not chunk:
                break
            seen += chunk
        assert proc.wait(timeout=5) == 0
    finally:
        proc.kill()
        os.close(leader)
    text = seen.decode(errors="replace")
    assert "10/10" in text  # the bar's count
    assert "completed" in text  # then the summary
    assert len(read_jsonl(out)) == 10


def _small_files() -> None:
    """In the child: files of at most 4 KiB, and a write past that fails instead of killing it."""
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (4096, 4096))


def test_a_results_file_that_cannot_be_written_stops_the_run_and_says_so(
    tmp_path: Path,
) -> None:
    prompts = tmp_path / "p.jsonl"
    prompts.write_text("".join(f'{{"id": "{i}", "prompt": "q {i}"}}\n' for i in range(200)))
    out = tmp_path / "r.jsonl"
    run = subprocess.run(
        [*GEMGATE, "run", str(prompts), "-o", str(out), "--emulator"],
        capture_output=True,
        text=True,
        timeout=120,
        env=env(),
        preexec_fn=_small_files,
    )
    assert run.returncode == 1, run.stderr  # not 0: lines were not recorded
    assert "the results could not be written" in run.stderr
    assert "rerun" in run.stderr
    assert out.stat().st_size <= 4096
