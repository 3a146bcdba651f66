"""CPU cost per request of gemgate's pipeline, side by side with the peers, in one run.

The emulator runs in its own process (``gemgate emulator``), so the CPU time measured here
(``time.process_time`` of this process) is the client's alone: building the request, the HTTP
exchange on aiohttp, parsing, and — for gemgate — admission, rate limiting, retry bookkeeping,
cost and events. Each client makes the same N ``generateContent`` calls at the same concurrency.

    python bench/overhead.py --requests 2000 --concurrency 16

Peers measured when installed: a bare ``aiohttp.ClientSession`` (the floor) and the official
``google-genai`` SDK (``client.aio.models.generate_content``).
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import re
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp

from gemgate.client import GeminiAPIClient
from gemgate.config import load_settings
from gemgate.credentials import Secret
from gemgate.ratelimit import RateLimiter

MODEL = "gemini-2.5-flash"
KEY = "bench-key"
BODY = {"contents": [{"role": "user", "parts": [{"text": "Say something short."}]}]}

Call = Callable[[int], Awaitable[Any]]


def start_emulator() -> tuple[subprocess.Popen[str], str]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "gemgate.cli", "emulator", "--port", "0"],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    match = re.search(r"http://127\.0\.0\.1:\d+", proc.stdout.readline())
    assert match, "the emulator did not start"
    return proc, match.group(0)


async def measure(call: Call, n: int, concurrency: int) -> float:
    """CPU seconds of this process per call, for n calls at the given concurrency."""
    sem = asyncio.Semaphore(concurrency)

    async def one(i: int) -> None:
        async with sem:
            await call(i)

    await asyncio.gather(*(one(i) for i in range(min(n, 50))))  # warm up pools
    cpu = time.process_time()
    await asyncio.gather(*(one(i) for i in range(n)))
    return (time.process_time() - cpu) / n


async def bare_aiohttp(url: str, n: int, concurrency: int) -> float:
    endpoint = f"{url}/v1beta/models/{MODEL}:generateContent"
    headers = {"x-goog-api-key": KEY}
    async with aiohttp.ClientSession() as session:

        async def call(_: int) -> None:
            async with session.post(endpoint, json=BODY, headers=headers) as resp:
                resp.raise_for_status()
                data = await resp.json()
                assert data["candidates"][0]["content"]["parts"][0]["text"]

        return await measure(call, n, concurrency)


async def gemgate_client(url: str, n: int, concurrency: int) -> float:
    settings = dataclasses.replace(load_settings(None, env={}), concurrency=concurrency)
    # limits off: this measures the pipeline's CPU, not waiting for the packaged RPM
    async with GeminiAPIClient.from_settings(
        settings, Secret(KEY), base_url=url, limiter=RateLimiter({})
    ) as client:

        async def call(_: int) -> None:
            result = await client.generate("Say something short.", model=MODEL, user_id="bench")
            assert result.text

        return await measure(call, n, concurrency)


async def google_genai(url: str, n: int, concurrency: int) -> float | None:
    try:
        from google import genai
        from google.genai import types
    except ImportError:
        return None
    client = genai.Client(api_key=KEY, http_options=types.HttpOptions(base_url=url))

    async def call(_: int) -> None:
        response = await client.aio.models.generate_content(
            model=MODEL, contents="Say something short."
        )
        assert response.text

    try:
        return await measure(call, n, concurrency)
    finally:
        await client.aio.aclose()


async def main(n: int, concurrency: int, rounds: int) -> None:
    proc, url = start_emulator()
    try:
        results: dict[str, list[float]] = {"bare aiohttp": [], "gemgate": [], "google-genai": []}
        for _ in range(rounds):  # interleaved, so drift hits every client alike
            results["bare aiohttp"].append(await bare_aiohttp(url, n, concurrency))
            results["gemgate"].append(await gemgate_client(url, n, concurrency))
            peer = await google_genai(url, n, concurrency)
            if peer is not None:
                results["google-genai"].append(peer)
    finally:
        proc.terminate()
        proc.wait()
    floor = min(results["bare aiohttp"])
    print(f"{n} calls x {rounds} rounds, concurrency {concurrency}; best round per client")
    print(f"{'client':<16}{'CPU µs/request':>16}{'vs bare aiohttp':>18}")
    for name, values in results.items():
        if values:
            best = min(values)
            print(f"{name:<16}{best * 1e6:>16.0f}{best / floor:>17.2f}x")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    asyncio.run(main(args.requests, args.concurrency, args.rounds))
