"""What one response cost, in exact decimal dollars.

Prices are USD per 1M tokens and depend on the prompt's size (long-context tiers). Cached prompt
tokens are billed at the cached-input price, the rest of the prompt and the tool-use prompt at
the input price; output *and thinking* tokens at the output price (Gemini bills thoughts as
output). A model whose price is unknown costs ``None`` — never a silent ``0``.
"""

from __future__ import annotations

from decimal import Decimal

from gemgate.config import ModelConfig
from gemgate.wire import Usage

__all__ = ["MILLION", "cost_of"]

MILLION = Decimal(1_000_000)


def cost_of(model: ModelConfig, usage: Usage) -> Decimal | None:
    """The cost of ``usage`` on ``model``; ``None`` when the model's price is unknown."""
    tier = model.tier_for(usage.prompt)
    if tier is None:
        return None
    cached = min(usage.cached, usage.prompt)
    cached_price = tier.cached_input if tier.cached_input is not None else tier.input
    input_tokens = usage.prompt - cached + usage.tool_use_prompt
    total = (
        input_tokens * tier.input
        + cached * cached_price
        + (usage.output + usage.thoughts) * tier.output
    )
    return total / MILLION
