"""Vertex AI: bearer tokens, regional paths, and moving to the next region after a 5xx."""

from __future__ import annotations

from gemgate.clock import FakeClock
from gemgate.config import EndpointSettings
from gemgate.emulator import FaultRule

from .conftest import running

VERTEX = EndpointSettings(
    kind="vertex", project="p", regions=("us-central1", "europe-west1"), api_version="v1"
)


async def test_vertex_generate_goes_to_the_first_region() -> None:
    async with running(endpoint=VERTEX) as (client, emu):
        result = await client.generate("hello")
        stats = emu.stats()
    assert result.region == "us-central1"
    assert stats["by_region"] == {"us-central1": 1}


async def test_a_5xx_in_one_region_moves_the_retry_to_the_next() -> None:
    fault = FaultRule("status", status=503, region="us-central1")
    async with running(fault, endpoint=VERTEX, clock=FakeClock()) as (client, emu):
        result = await client.generate("hello")
        stats = emu.stats()
    assert result.attempts == 2
    assert result.region == "europe-west1"
    assert stats["by_region"] == {"us-central1": 1, "europe-west1": 1}


async def test_a_429_does_not_change_region() -> None:
    fault = FaultRule("status", status=429, region="us-central1", retry_delay_s=1, count=1)
    async with running(fault, endpoint=VERTEX, clock=FakeClock()) as (client, emu):
        result = await client.generate("hello")
        stats = emu.stats()
    assert result.region == "us-central1"
    assert stats["by_region"] == {"us-central1": 2}


async def test_vertex_streams_keep_the_usage_of_the_last_chunk() -> None:
    async with running(endpoint=VERTEX) as (client, _), client.stream("hello") as stream:
        chunks = [c async for c in stream]
    assert chunks[-1].usage.total > 0
    assert stream.result.usage == chunks[-1].usage
