"""Credentials as the service reads them, and its answers when they are missing or bad.

An API key comes in the ``x-goog-api-key`` header or the ``key`` query parameter; an OAuth
access token in ``Authorization: Bearer``. Vertex project paths take only tokens; the Developer
API and Vertex express mode take either. Any token is accepted unless it is a ``bad_keys`` entry.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from typing import Literal

from aiohttp import web

from gemgate.emulator import errors
from gemgate.emulator.routing import Target

__all__ = ["Credential", "KeyRules", "check_credential", "credential_of"]


@dataclass(frozen=True, slots=True)
class Credential:
    """The caller's key or token. ``repr`` never shows the secret."""

    kind: Literal["key", "token"]
    secret: str

    def __repr__(self) -> str:
        return f"Credential(kind={self.kind!r}, secret=<hidden>)"


@dataclass(frozen=True, slots=True)
class KeyRules:
    """``allowed``: if non-empty, the only valid keys; ``bad``: always refused."""

    allowed: Collection[str] = ()
    bad: Collection[str] = ()


def credential_of(request: web.Request) -> Credential | None:
    """The credential a request carries; a bearer token wins over a key."""
    authorization = request.headers.get("Authorization", "")
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        return Credential("token", token.strip())
    key = request.headers.get("x-goog-api-key") or request.query.get("key")
    return Credential("key", key) if key else None


def check_credential(
    target: Target, credential: Credential | None, rules: KeyRules
) -> errors.ErrorBody | None:
    """The error body the service would send for this credential, or ``None`` if it is good."""
    if credential is None:
        if target.vertex:
            return errors.unauthenticated("missing", target.method)
        return errors.unregistered_caller()
    if credential.kind == "token":
        if credential.secret not in rules.bad:
            return None
        if target.vertex:
            return errors.unauthenticated("bad_token", target.method)
        return errors.error_for_status(401)
    if target.family == "vertex":
        return errors.unauthenticated("api_key", target.method)
    if credential.secret in rules.bad or (rules.allowed and credential.secret not in rules.allowed):
        return errors.api_key_invalid(vertex=target.vertex)
    return None
