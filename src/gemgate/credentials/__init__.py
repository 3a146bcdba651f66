"""Credentials: the :class:`Secret` type and where keys come from."""

from gemgate.credentials.secret import Secret
from gemgate.credentials.sources import DEFAULT_KEY_VARIABLES, find_api_key, read_secret_file

__all__ = ["DEFAULT_KEY_VARIABLES", "Secret", "find_api_key", "read_secret_file"]
