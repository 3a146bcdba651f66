"""Secret: a credential cannot leak through repr, str, format, logs or pickling."""

import logging
import pickle

import pytest

from gemgate.credentials import Secret, find_api_key
from gemgate.errors import AuthenticationError

VALUE = "test-" + "s3cr3t-value-123"


def test_secret_never_shows_its_value() -> None:
    s = Secret(VALUE)
    for shown in (repr(s), str(s), f"{s}", f"{s!r}", f"{s}", str([s]), str({"k": s})):
        assert VALUE not in shown
    assert s.reveal() == VALUE


def test_a_logged_secret_is_redacted(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO):
        logging.getLogger("t").info("key=%s", Secret(VALUE))
    assert VALUE not in caplog.text


def test_a_secret_cannot_be_pickled() -> None:
    with pytest.raises(TypeError):
        pickle.dumps(Secret(VALUE))


def test_fingerprint_tells_keys_apart_without_the_value() -> None:
    a, b = Secret(VALUE), Secret(VALUE + "x")
    assert a.fingerprint != b.fingerprint
    assert len(a.fingerprint) == 8
    assert a.fingerprint not in VALUE


def test_key_from_the_first_set_variable() -> None:
    env = {"GEMINI_API_KEY": " k2 ", "GOOGLE_API_KEY": "k3"}
    assert find_api_key(env).reveal() == "k2"


def test_key_file_wins_and_its_first_line_is_the_key(tmp_path: object) -> None:
    from pathlib import Path

    path = Path(str(tmp_path)) / "key"
    path.write_text("file-key\n# comment\n")
    assert find_api_key({"GEMINI_API_KEY": "env"}, key_file=path).reveal() == "file-key"


def test_no_key_is_a_clear_error_naming_the_variables() -> None:
    with pytest.raises(AuthenticationError, match="GEMINI_API_KEY"):
        find_api_key({})
