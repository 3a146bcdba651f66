"""The client: ``GeminiAPIClient``, its result type and its stream."""

from gemgate.client.api import GeminiAPIClient, endpoints_of
from gemgate.client.call import Call, Result
from gemgate.client.stream import Stream

__all__ = ["Call", "GeminiAPIClient", "Result", "Stream", "endpoints_of"]
