"""Cost: exact pricing of a response, and running totals by model, user, feature and team."""

from gemgate.cost.pricing import MILLION, cost_of
from gemgate.cost.tracker import CostTracker, Spend

__all__ = ["MILLION", "CostTracker", "Spend", "cost_of"]
