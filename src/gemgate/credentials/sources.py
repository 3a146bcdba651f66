"""Where a credential comes from: an environment variable or a secret file.

The first non-empty source wins. Error messages name the variable or file, never the value.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

from gemgate.credentials.secret import Secret
from gemgate.errors import AuthenticationError

__all__ = ["DEFAULT_KEY_VARIABLES", "find_api_key", "read_secret_file"]

DEFAULT_KEY_VARIABLES = ("GEMGATE_API_KEY", "GEMINI_API_KEY", "GOOGLE_API_KEY")


def read_secret_file(path: Path) -> Secret:
    """The first line of a secret file (as mounted by Kubernetes or Docker secrets)."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise AuthenticationError(f"cannot read the API key file {path}: {exc.strerror}") from None
    lines = text.strip().splitlines()
    if not lines or not lines[0].strip():
        raise AuthenticationError(f"the API key file {path} is empty")
    return Secret(lines[0])


def find_api_key(
    env: Mapping[str, str],
    variables: Sequence[str] = DEFAULT_KEY_VARIABLES,
    key_file: Path | None = None,
) -> Secret:
    """The API key from a secret file if one is given, else the first set variable."""
    if key_file is not None:
        return read_secret_file(key_file)
    for name in variables:
        value = env.get(name, "").strip()
        if value:
            return Secret(value)
    raise AuthenticationError("no Gemini API key: set " + " or ".join(variables))
