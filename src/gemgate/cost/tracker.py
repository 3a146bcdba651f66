"""Running totals of spend and tokens, by model, user, feature and team.

Amounts are ``Decimal``. Requests whose price is unknown are counted apart (``unpriced``), so a
total never silently treats them as free.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from gemgate.wire import Usage

__all__ = ["CostTracker", "Spend"]

DIMENSIONS = ("model", "user", "feature", "team")


@dataclass(slots=True)
class Spend:
    """Totals for one key of one dimension."""

    requests: int = 0
    cost_usd: Decimal = Decimal(0)
    unpriced: int = 0
    prompt_tokens: int = 0
    output_tokens: int = 0
    total_tokens: int = 0


class CostTracker:
    """Adds up what each request cost, per dimension; ``by("user")`` reads the totals."""

    def __init__(self) -> None:
        self._totals: dict[str, defaultdict[str, Spend]] = {
            d: defaultdict(Spend) for d in DIMENSIONS
        }
        self.total = Spend()

    def record(
        self,
        cost_usd: Decimal | None,
        usage: Usage,
        *,
        model: str,
        user: str | None = None,
        feature: str | None = None,
        team: str | None = None,
    ) -> None:
        keys = {"model": model, "user": user, "feature": feature, "team": team}
        for dimension, key in keys.items():
            _add(self._totals[dimension][key or "-"], cost_usd, usage)
        _add(self.total, cost_usd, usage)

    def by(self, dimension: str) -> dict[str, Spend]:
        if dimension not in self._totals:
            raise ValueError(f"unknown dimension {dimension!r}; one of {', '.join(DIMENSIONS)}")
        return dict(sorted(self._totals[dimension].items()))


def _add(spend: Spend, cost_usd: Decimal | None, usage: Usage) -> None:
    spend.requests += 1
    if cost_usd is None:
        spend.unpriced += 1
    else:
        spend.cost_usd += cost_usd
    spend.prompt_tokens += usage.prompt
    spend.output_tokens += usage.output + usage.thoughts
    spend.total_tokens += usage.total
