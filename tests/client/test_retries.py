"""Retries against planned faults: counts, waits (on a fake clock) and what gives up."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest

from gemgate.client import Stream
from gemgate.clock import FakeClock
from gemgate.emulator import FaultRule
from gemgate.errors import (
    ConnectionFailed,
    DailyQuotaExhausted,
    MalformedResponse,
    RateLimited,
    RequestTimeout,
    ServerError,
)
from gemgate.wire import GenerateResponse

from .conftest import running


async def collect(stream: Stream, into: list[GenerateResponse]) -> None:
    async with stream:
        async for chunk in stream:
            into.append(chunk)


PROMPT = "Tell me about retries."


async def test_three_503s_then_success_is_one_result_with_four_attempts() -> None:
    clock = FakeClock()
    async with running(FaultRule("status", status=503, count=3), clock=clock) as (client, emu):
        result = await client.generate(PROMPT)
        stats = emu.stats()
    assert result.attempts == 4
    assert stats["by_status"] == {"503": 3, "200": 1}
    assert len(clock.sleeps) == 3
    for wait, ceiling in zip(clock.sleeps, (0.1, 0.2, 0.4), strict=True):
        assert 0.0 <= wait <= ceiling  # full jitter


async def test_a_retry_delay_hint_is_a_floor_for_the_next_attempt() -> None:
    clock = FakeClock()
    fault = FaultRule("status", status=429, retry_delay_s=2.5, count=1)
    async with running(fault, clock=clock) as (client, _):
        result = await client.generate(PROMPT)
    assert result.attempts == 2
    assert len(clock.sleeps) == 1
    assert 2.5 <= clock.sleeps[0] <= 2.5 + 0.1


async def test_a_hint_beyond_the_deadline_fails_at_once_with_the_delay() -> None:
    clock = FakeClock()
    fault = FaultRule("status", status=429, retry_delay_s=60, count=1)
    async with running(fault, clock=clock) as (client, emu):
        with pytest.raises(RateLimited) as info:
            await client.generate(PROMPT, deadline_s=10)
        assert emu.stats()["requests_total"] == 1
    assert info.value.retry_delay == 60.0
    assert clock.sleeps == []


async def test_a_per_day_quota_is_not_retried() -> None:
    fault = FaultRule("status", status=429, quota="day", retry_delay_s=30)
    async with running(fault, clock=FakeClock()) as (client, emu):
        with pytest.raises(DailyQuotaExhausted) as info:
            await client.generate(PROMPT)
        assert emu.stats()["requests_total"] == 1
    assert info.value.quota_violations[0].per_day


async def test_a_hang_times_out_at_the_read_timeout_and_is_retried() -> None:
    fault = FaultRule("hang", count=1)
    async with running(fault, clock=FakeClock(), read_timeout_s=0.3) as (client, emu):
        result = await client.generate(PROMPT)
        assert emu.stats()["requests_total"] == 2
    assert result.attempts == 2


@pytest.mark.parametrize(
    ("fault", "error"),
    [
        (FaultRule("drop"), ConnectionFailed),
        (FaultRule("truncate"), MalformedResponse),
        (FaultRule("html", status=502), ServerError),
        (FaultRule("hang"), RequestTimeout),
    ],
)
async def test_each_transient_fault_is_retried_up_to_the_limit(
    fault: FaultRule, error: type[Exception]
) -> None:
    async with running(fault, clock=FakeClock(), read_timeout_s=0.2) as (client, emu):
        with pytest.raises(error):
            await client.generate(PROMPT)
        assert emu.stats()["requests_total"] == 5  # max_attempts
    assert client.metrics.retries == 4


async def test_an_html_error_page_becomes_a_short_safe_message() -> None:
    async with running(FaultRule("html", status=502), clock=FakeClock()) as (client, _):
        with pytest.raises(ServerError) as info:
            await client.generate(PROMPT)
    assert info.value.status == 502
    assert "<" not in str(info.value)
    assert len(str(info.value)) < 200


async def test_a_stream_is_retried_before_its_first_chunk() -> None:
    fault = FaultRule("status", status=503, method="streamGenerateContent", count=1)
    async with running(fault, clock=FakeClock()) as (client, _), client.stream(PROMPT) as stream:
        chunks = [c async for c in stream]
    assert chunks
    assert stream.result.attempts == 2


async def test_a_stream_failing_after_its_first_chunk_ends_with_a_typed_error() -> None:
    fault = FaultRule("stream_error", after_chunks=1, status=500)
    async with running(fault, clock=FakeClock()) as (client, emu):
        received: list[GenerateResponse] = []
        stream_of_u9 = [client.stream(PROMPT, user_id="u9")]
        with pytest.raises(ServerError):
            await collect(stream_of_u9[0], received)
        assert emu.stats()["requests_total"] == 1  # not retried after data reached us
    assert len(received) == 1
    assert client.costs.by("user")["u9"].prompt_tokens == received[0].usage.prompt > 0
    assert stream_of_u9[0].usage == received[0].usage  # readable by the caller after the error
    assert stream_of_u9[0].cost_usd == client.costs.by("user")["u9"].cost_usd


async def test_a_proxys_retry_after_on_a_503_is_a_floor_for_the_next_attempt() -> None:
    clock = FakeClock()
    fault = FaultRule("html", status=503, retry_after="3", count=1)
    async with running(fault, clock=clock) as (client, _):
        result = await client.generate(PROMPT)
    assert result.attempts == 2
    assert 3.0 <= clock.sleeps[0] <= 3.0 + 0.1


async def test_a_retry_after_http_date_is_the_time_left_until_it() -> None:
    clock = FakeClock()
    when = format_datetime(datetime.now(UTC) + timedelta(seconds=30), usegmt=True)
    async with running(FaultRule("status", status=503, retry_after=when, count=1), clock=clock) as (
        client,
        _,
    ):
        result = await client.generate(PROMPT)
    assert result.attempts == 2
    assert 28.0 <= clock.sleeps[0] <= 30.0 + 0.1  # whole seconds on the wire


async def test_after_a_per_day_429_later_requests_fail_at_once_until_the_reset() -> None:
    clock = FakeClock()
    fault = FaultRule("status", status=429, quota="day", count=1)
    async with running(fault, clock=clock) as (client, emu):
        with pytest.raises(DailyQuotaExhausted):
            await client.generate(PROMPT)
        with pytest.raises(DailyQuotaExhausted) as info:
            await client.generate(PROMPT)  # not parked in the limiter until midnight
        assert emu.stats()["requests_total"] == 1
    assert clock.sleeps == []
    assert info.value.resets_at is not None
