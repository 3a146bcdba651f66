"""The official google-genai SDK works against the emulator unmodified (``base_url`` only).

The SDK is given our own aiohttp session: the one it makes by itself subclasses
``aiohttp.ClientSession``, which aiohttp reports with a DeprecationWarning (an error here).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from google import genai
from google.genai import errors as genai_errors
from google.genai import types
from google.oauth2.credentials import Credentials

from gemgate.emulator import EmulatorConfig, EmulatorServer, FaultRule

from .conftest import Start

MODEL = "gemini-2.5-flash"
PROMPT = "Say something about rate limits."


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


def options(emu: EmulatorServer, session: aiohttp.ClientSession, **kw: Any) -> types.HttpOptions:
    return types.HttpOptions(base_url=emu.base_url, aiohttp_client=session, **kw)


async def generate_stream_count(client: genai.Client) -> None:
    """Generate, stream and count one prompt; check they agree with each other."""
    response = await client.aio.models.generate_content(model=MODEL, contents=PROMPT)
    usage = response.usage_metadata
    assert response.text
    assert usage is not None
    assert response.candidates is not None
    assert response.candidates[0].finish_reason == types.FinishReason.STOP
    assert usage.total_token_count == (usage.prompt_token_count or 0) + (
        usage.candidates_token_count or 0
    )
    stream = await client.aio.models.generate_content_stream(model=MODEL, contents=PROMPT)
    chunks = [chunk async for chunk in stream]
    assert len(chunks) > 1
    assert "".join(chunk.text or "" for chunk in chunks) == response.text
    last = chunks[-1].usage_metadata
    assert last is not None
    assert last.total_token_count == usage.total_token_count
    counted = await client.aio.models.count_tokens(model=MODEL, contents=PROMPT)
    assert counted.total_tokens == usage.prompt_token_count == 6


async def test_api_key_mode(start: Start, session: aiohttp.ClientSession) -> None:
    emu = await start(EmulatorConfig(api_keys=("sdk-key",)))
    client = genai.Client(api_key="sdk-key", http_options=options(emu, session))
    await generate_stream_count(client)
    assert emu.stats()["by_status"] == {"200": 3}
    assert emu.stats()["by_region"] == {"global": 3}


async def test_api_key_mode_lists_and_gets_models(
    start: Start, session: aiohttp.ClientSession
) -> None:
    emu = await start()
    client = genai.Client(api_key="k", http_options=options(emu, session))
    pager = await client.aio.models.list(config={"page_size": 4})
    names = [model.name async for model in pager]
    assert names[:2] == ["models/gemini-2.5-pro", "models/gemini-2.5-flash"]
    assert len(names) == 6
    model = await client.aio.models.get(model=MODEL)
    assert model.input_token_limit == 1048576


async def test_vertex_mode_with_an_access_token(
    start: Start, session: aiohttp.ClientSession
) -> None:
    emu = await start()
    client = genai.Client(
        vertexai=True,
        project="my-proj",
        location="us-central1",
        credentials=Credentials(token="fixed-token"),  # type: ignore[no-untyped-call]
        http_options=options(emu, session),
    )
    await generate_stream_count(client)
    assert emu.stats()["by_region"] == {"us-central1": 3}
    assert emu.stats()["by_status"] == {"200": 3}


async def test_vertex_express_mode_with_an_api_key(
    start: Start, session: aiohttp.ClientSession
) -> None:
    emu = await start()
    client = genai.Client(vertexai=True, api_key="express-key", http_options=options(emu, session))
    await generate_stream_count(client)
    assert emu.stats()["by_region"] == {"global": 3}


async def test_the_sdk_sees_a_limit_429_with_its_details(
    start: Start, session: aiohttp.ClientSession
) -> None:
    emu = await start(EmulatorConfig(rpm=1, window_s=60.0))
    client = genai.Client(api_key="k", http_options=options(emu, session))
    await client.aio.models.generate_content(model=MODEL, contents=PROMPT)
    with pytest.raises(genai_errors.ClientError) as info:
        await client.aio.models.generate_content(model=MODEL, contents=PROMPT)
    assert info.value.code == 429
    assert info.value.status == "RESOURCE_EXHAUSTED"
    details = info.value.details["error"]["details"]
    assert details[-1]["@type"] == "type.googleapis.com/google.rpc.RetryInfo"
    assert emu.stats()["rate_limited"] == 1


async def test_the_sdks_own_retries_get_through_three_503s(
    start: Start, session: aiohttp.ClientSession
) -> None:
    emu = await start(EmulatorConfig(faults=(FaultRule("status", status=503, count=3),)))
    retry = types.HttpRetryOptions(attempts=4, initial_delay=0.01, max_delay=0.02, jitter=0)
    client = genai.Client(api_key="k", http_options=options(emu, session, retry_options=retry))
    response = await client.aio.models.generate_content(model=MODEL, contents=PROMPT)
    assert response.text
    assert emu.stats()["by_status"] == {"200": 1, "503": 3}
