"""The aiohttp transport: one pooled session; one exchange -> wire JSON or a typed error."""

from gemgate.transport.session import Auth, Transport

__all__ = ["Auth", "Transport"]
