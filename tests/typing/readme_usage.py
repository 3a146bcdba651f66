"""The README's library example, checked by ``mypy --strict`` (tests/test_toolchain.py).

It is type-checked, not run: if the documented API changes shape, this file stops checking.
"""

from __future__ import annotations

from decimal import Decimal

from gemgate import CircuitOpen, GeminiAPIClient, Priority, RateLimited


async def documented_usage() -> tuple[str, Decimal | None, int]:
    async with GeminiAPIClient.from_config() as client:
        result = await client.generate(
            "Summarise the plot of Hamlet in two sentences.",
            model="gemini-2.5-flash",
            user_id="u-42",
            feature="summarize",
            team="growth",
            priority=Priority.HIGH,
            deadline_s=30,
        )
        text: str = result.text
        cost: Decimal | None = result.cost_usd
        total: int = result.usage.total
        async with client.stream("Write a haiku about queues") as chunks:
            async for chunk in chunks:
                text += chunk.text
        counted: int = (await client.count_tokens("How many tokens is this?")).total_tokens
        try:
            await client.generate("x", user_id="u-1")
        except RateLimited as exc:
            delay: float | None = exc.retry_delay
            del delay
        try:
            await client.generate("x", region="europe-west1")  # pinned: never fails over
        except CircuitOpen as open_circuit:
            probe_at: float = open_circuit.retry_at
            del probe_at
        return text, cost, total + counted
