"""The client: ``GeminiAPIClient``, its result type and its stream."""

from gemgate.client.api import GeminiAPIClient
from gemgate.client.call import Call, Result
from gemgate.client.stream import Stream
from gemgate.client.wiring import endpoints_of

__all__ = ["Call", "GeminiAPIClient", "Result", "Stream", "endpoints_of"]
