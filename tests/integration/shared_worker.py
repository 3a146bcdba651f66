"""One OS process of the shared-limit test: N requests through a client whose limits live in
Redis. Prints one JSON line: what it sent and when (wall time, for the test to measure)."""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import json
import time

from gemgate.client import GeminiAPIClient
from gemgate.clock import SystemClock
from gemgate.config import LimitRule, LimitSettings, load_settings
from gemgate.credentials import Secret


class SkewedClock(SystemClock):
    """This process's clocks, off by ``skew`` seconds: Redis's TIME must be all that counts."""

    def __init__(self, skew: float) -> None:
        self.skew = skew

    def time(self) -> float:
        return super().time() + self.skew

    def monotonic(self) -> float:
        return super().monotonic() + self.skew


async def main(args: argparse.Namespace) -> None:
    rule = LimitRule("requests", args.limit, args.window)
    settings = dataclasses.replace(
        load_settings(None, env={}),
        concurrency=16,
        limits=LimitSettings(rules=(rule,), redis_url=args.redis, fail="closed"),
    )
    clock = SkewedClock(args.skew)
    async with GeminiAPIClient.from_settings(
        settings, Secret(args.key), base_url=args.url, clock=clock
    ) as client:
        start = time.time()
        results = await asyncio.gather(
            *(client.generate(f"worker {args.name} request {i}") for i in range(args.n)),
            return_exceptions=True,
        )
        end = time.time()
    failed = [type(r).__name__ for r in results if isinstance(r, BaseException)]
    attempts = sum(r.attempts for r in results if not isinstance(r, BaseException))
    print(json.dumps({"start": start, "end": end, "failed": failed, "attempts": attempts}))


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    for name, kind in (
        ("url", str),
        ("redis", str),
        ("name", str),
        ("n", int),
        ("limit", int),
        ("window", float),
        ("skew", float),
        ("key", str),
    ):
        parser.add_argument(f"--{name}", type=kind, required=True)
    asyncio.run(main(parser.parse_args()))
