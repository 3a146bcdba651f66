"""Deadlines: a request whose deadline has passed must not be sent, and never without a timeout."""

from __future__ import annotations

import asyncio

import pytest

from gemgate.emulator import FaultRule
from gemgate.errors import DeadlineExceeded

from .conftest import running


async def test_a_request_whose_deadline_already_passed_is_rejected_not_sent() -> None:
    """DESIGN §1: REJECTED when admission refuses it (deadline passed). A 1 µs deadline has
    passed by the time the request reaches the transport; nothing must reach the service."""
    async with running() as (client, emu):
        with pytest.raises(DeadlineExceeded):
            await client.generate("hello", deadline_s=0.000001)
        assert emu.stats()["requests_total"] == 0


async def test_an_expired_deadline_does_not_turn_into_no_timeout_at_all() -> None:
    """remaining <= 0 is passed to aiohttp as ClientTimeout(total<=0), which aiohttp reads as
    'no total timeout': the request then hangs until the socket read timeout (here 30 s)."""
    async with running(FaultRule("hang"), read_timeout_s=30.0) as (client, _):
        try:
            async with asyncio.timeout(2.0):
                with pytest.raises((DeadlineExceeded, TimeoutError)):
                    await client.generate("hello", deadline_s=0.000001)
        except TimeoutError:
            pytest.fail("generate(deadline_s=1e-6) was still running 2 s later")


async def test_running_out_of_deadline_mid_request_is_deadline_exceeded() -> None:
    """errors.py: DeadlineExceeded is 'no time left to start or finish the request'. When the
    per-attempt timeout is the caller's deadline and it fires, the caller gets RequestTimeout
    (retryable=True) instead, so `gemgate run` and callers can't tell 'slow server, retry' from
    'my deadline passed'."""
    async with running(FaultRule("hang"), read_timeout_s=30.0) as (client, _):
        with pytest.raises(DeadlineExceeded):
            await client.generate("hello", deadline_s=0.3)
