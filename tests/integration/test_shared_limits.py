"""Four OS processes share one limit through one real Redis, against one emulator process."""

from __future__ import annotations

import json
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from support import Emulator

WORKER = Path(__file__).with_name("shared_worker.py")
LIMIT, WINDOW, PER_PROCESS = 250, 5.0, 188  # 752 requests: three windows


def run_workers(url: str, redis: str, skews: list[float], key: str) -> list[dict[str, object]]:
    procs = [
        subprocess.Popen(
            [
                sys.executable,
                str(WORKER),
                "--url",
                url,
                "--redis",
                redis,
                "--name",
                str(i),
                "--n",
                str(PER_PROCESS),
                "--limit",
                str(LIMIT),
                "--window",
                str(WINDOW),
                "--skew",
                str(skew),
                "--key",
                key,
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for i, skew in enumerate(skews)
    ]
    reports = []
    for proc in procs:
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err
        reports.append(json.loads(out.strip().splitlines()[-1]))
    return reports


@pytest.mark.parametrize(
    "skews",
    [[0, 0, 0, 0], [2.0, 0, 0, 0], [-2.0, 0, 0, 0]],
    ids=["same-clocks", "one-clock-2s-ahead", "one-clock-2s-behind"],
)
def test_four_processes_share_one_limit_exactly(shared_redis_url: str, skews: list[float]) -> None:
    emulator = Emulator("--rpm", str(LIMIT), "--window-s", str(WINDOW))
    key = f"shared-{uuid.uuid4().hex}"  # a scope (key fingerprint) of this test's own
    try:
        reports = run_workers(emulator.url, shared_redis_url, skews, key)
        stats = emulator.stats()
    finally:
        emulator.stop()
    assert all(r["failed"] == [] for r in reports)
    total = PER_PROCESS * len(skews)
    assert stats["rate_limited"] == 0
    assert stats["by_status"] == {"200": total}
    assert stats["max_requests_in_window"] <= LIMIT
    span = max(float(r["end"]) for r in reports) - min(float(r["start"]) for r in reports)
    throughput = (total - 2) / span  # the burst goes at once; the rest at the refill pace
    assert throughput >= 0.95 * LIMIT / WINDOW, f"{throughput:.1f}/s of {LIMIT / WINDOW}/s"
