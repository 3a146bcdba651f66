"""A secret value that cannot leak by accident.

``repr``, ``str`` and ``format`` print a redaction; pickling is refused; the value is read only
through :meth:`Secret.reveal`, which the transport calls when it builds a request header::

    >>> key = Secret("sk-123")
    >>> f"{key}", repr(key)
    ('Secret(********)', 'Secret(********)')
"""

from __future__ import annotations

import hashlib
from typing import NoReturn

__all__ = ["Secret"]


class Secret:
    """Holds a credential; shows only a redaction and, on demand, a short fingerprint."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        value = value.strip()
        if not value:
            raise ValueError("a secret must not be empty")
        self._value = value

    def reveal(self) -> str:
        return self._value

    @property
    def fingerprint(self) -> str:
        """8 hex digits of a SHA-256 of the value: tells keys apart in logs without exposing one."""
        return hashlib.sha256(self._value.encode()).hexdigest()[:8]

    def __repr__(self) -> str:
        return "Secret(********)"

    __str__ = __repr__

    def __format__(self, spec: str) -> str:
        return repr(self)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)

    def __reduce__(self) -> NoReturn:
        raise TypeError("a Secret cannot be pickled")
