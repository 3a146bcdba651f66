"""``gemgate emulator``: runs in the foreground, prints its URL, stops on SIGTERM."""

from __future__ import annotations

import asyncio
import json
import re
import signal
import sys
from pathlib import Path

import aiohttp
from click.testing import CliRunner

from gemgate.cli import main

from .conftest import DEV, user

SECRET = "cli-" + "secret-key-31337"


async def test_the_command_serves_until_sigterm_and_never_prints_a_key(tmp_path: Path) -> None:
    plan = tmp_path / "plan.json"
    plan.write_text(json.dumps({"rules": [{"action": "status", "status": 503, "count": 1}]}))
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-c", "from gemgate.cli import main; main()",
        "emulator", "--port", "0", "--api-key", SECRET, "--bad-key", "other-" + SECRET,
        "--rpm", "100", "--fault-plan", str(plan),
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    assert process.stdout is not None
    line = (await asyncio.wait_for(process.stdout.readline(), timeout=20)).decode()
    match = re.search(r"listening on (http://127\.0\.0\.1:\d+)", line)
    assert match, line
    url = match.group(1) + f"{DEV}:generateContent"
    async with aiohttp.ClientSession() as session:
        statuses = []
        for _ in range(2):
            async with session.post(url, json=user("x"), headers={"x-goog-api-key": SECRET}) as r:
                statuses.append(r.status)
    assert statuses == [503, 200]
    process.send_signal(signal.SIGTERM)
    out, err = await asyncio.wait_for(process.communicate(), timeout=10)
    assert process.returncode == 0
    assert SECRET not in line + out.decode() + err.decode()


def test_a_bad_fault_plan_is_a_usage_error(tmp_path: Path) -> None:
    plan = tmp_path / "plan.json"
    plan.write_text(json.dumps({"rules": [{"action": "explode"}]}))
    result = CliRunner().invoke(main, ["emulator", "--fault-plan", str(plan)])
    assert result.exit_code == 2
    assert "rule 0" in result.output
    assert "explode" in result.output
