"""gemgate: safe, exact, cost-aware calls to Google's Gemini API at scale."""

__version__ = "0.1.0"
