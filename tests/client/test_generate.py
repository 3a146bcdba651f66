"""generate / stream / count_tokens against the emulator over real loopback sockets."""

from __future__ import annotations

from decimal import Decimal

import pytest

from gemgate.config import load_catalog
from gemgate.cost import cost_of
from gemgate.emulator import EmulatorConfig, FaultRule
from gemgate.errors import AuthenticationError, InvalidRequest, PromptBlocked
from gemgate.observability import Event, RequestState, StateChanged
from gemgate.wire import Usage

from .conftest import running

PROMPT = "Explain in two sentences why the sky is blue."


async def test_a_result_carries_text_usage_cost_and_timings() -> None:
    async with running() as (client, _emu):
        result = await client.generate(PROMPT, model="gemini-2.5-flash", user_id="u1")
    u = result.usage
    assert result.text
    assert u.prompt > 0
    assert u.output > 0
    assert u.total == u.prompt + u.output + u.thoughts + u.tool_use_prompt
    assert result.cost_usd == cost_of(load_catalog().get("gemini-2.5-flash"), u)
    assert isinstance(result.cost_usd, Decimal)
    assert result.cost_usd > 0
    assert result.attempts == 1
    assert result.region == "global"
    assert result.latency_ms > 0
    assert result.queue_ms >= 0
    assert len(result.request_id) == 32
    assert result.finish_reason == "STOP"


async def test_usage_matches_what_the_server_reported() -> None:
    async with running() as (client, emu):
        result = await client.generate(PROMPT)
        counted = await client.count_tokens(PROMPT)
        stats = emu.stats()
    raw = result.response.raw["usageMetadata"] if result.response else {}
    assert result.usage.prompt == raw["promptTokenCount"] == counted.total_tokens
    assert result.usage.output == raw["candidatesTokenCount"]
    assert stats["by_method"] == {"generateContent": 1, "countTokens": 1}


async def test_a_stream_yields_chunks_and_keeps_the_last_usage() -> None:
    async with running() as (client, _emu):
        stream = client.stream(PROMPT, user_id="u2", feature="f")
        async with stream:
            chunks = [chunk async for chunk in stream]
        result = stream.result
    assert len(chunks) > 1
    assert result.text == "".join(c.text for c in chunks)
    assert result.usage == chunks[-1].usage  # cumulative: the last one, never a sum
    assert result.usage.prompt > 0
    assert result.cost_usd == cost_of(load_catalog().get("gemini-2.5-flash"), result.usage)
    assert client.costs.by("user")["u2"].requests == 1


async def test_request_states_are_observable_in_order() -> None:
    seen: list[Event] = []
    async with running(FaultRule("status", status=503, count=1)) as (client, _):
        client.bus.subscribe(seen.append)
        await client.generate(PROMPT)
    states = [e.new for e in seen if isinstance(e, StateChanged)]
    assert states == [
        RequestState.QUEUED,
        RequestState.PROCESSING,
        RequestState.RETRYING,
        RequestState.PROCESSING,
        RequestState.COMPLETED,
    ]


async def test_a_blocked_prompt_is_a_typed_error_not_an_empty_success() -> None:
    async with running(FaultRule("block", reason="PROHIBITED_CONTENT")) as (client, emu):
        with pytest.raises(PromptBlocked) as info:
            await client.generate(PROMPT)
        assert emu.stats()["requests_total"] == 1
    assert info.value.block_reason == "PROHIBITED_CONTENT"
    assert info.value.request_id is not None
    assert client.costs.total.prompt_tokens > 0  # the prompt was still counted


async def test_a_bad_request_is_tried_once() -> None:
    async with running(FaultRule("status", status=400)) as (client, emu):
        with pytest.raises(InvalidRequest) as info:
            await client.generate(PROMPT)
        assert emu.stats()["requests_total"] == 1
    assert info.value.status == 400


async def test_a_bad_key_is_an_authentication_error_that_never_shows_the_key() -> None:
    key = "bad-" + "k3y-value-0042"
    cfg = EmulatorConfig(bad_keys=(key,))
    async with running(config=cfg, key=key) as (client, _):
        with pytest.raises(AuthenticationError) as info:
            await client.generate(PROMPT)
    assert info.value.reason == "API_KEY_INVALID"
    assert key not in str(info.value)
    assert key not in repr(info.value)
    assert key not in repr(client)


async def test_an_unknown_model_works_and_its_cost_is_unknown_not_zero() -> None:
    async with running() as (client, _):
        with pytest.warns(UserWarning, match="my-private-model"):
            result = await client.generate(PROMPT, model="my-private-model")
        again = await client.generate(PROMPT, model="my-private-model")  # warned once only
    assert result.text
    assert result.cost_usd is None
    assert again.cost_usd is None
    assert client.costs.total.unpriced == 2


async def test_max_output_tokens_cuts_the_answer() -> None:
    async with running() as (client, _):
        result = await client.generate(PROMPT, generation_config={"maxOutputTokens": 3})
    assert result.finish_reason == "MAX_TOKENS"
    assert result.usage.output <= 3


async def test_usage_defaults_are_zero() -> None:
    assert Usage().total == 0
