"""``load_settings``: defaults, the TOML file, environment overrides, and every kind of error."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from gemgate.config import (
    DEFAULT_MODEL,
    EndpointSettings,
    RetrySettings,
    Settings,
    TransportSettings,
    load_catalog,
    load_settings,
)
from gemgate.errors import ConfigError

FULL = """
default_model = "gemini-2.5-pro"
concurrency = 32
api_key_file = "/run/secrets/gemini"
api_key_env = ["MY_KEY"]

[endpoint]
kind = "vertex"
project = "p"
regions = ["us-central1", "europe-west1", "global"]
api_version = "v1beta1"
base_url = "http://127.0.0.1:8080/"

[retry]
max_attempts = 3
base_delay_s = 0.5
max_delay_s = 4

[transport]
pool_size = 10
pool_size_per_host = 5
keepalive_s = 15
dns_cache_ttl_s = 60
connect_timeout_s = 2.5
read_timeout_s = 30
total_timeout_s = 90

[models."gemini-2.5-flash"]
rpm = 1
input = "0.25"
output = "2.00"

[models."my-tuned"]
input = "0.1"
output = "0.4"
"""


def write(tmp_path: Path, text: str, name: str = "gemgate.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def error_of(tmp_path: Path, text: str, env: dict[str, str] | None = None) -> ConfigError:
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as caught:
        load_settings(path, env=env or {})
    return caught.value


# --- defaults and sources ------------------------------------------------------------------


def test_nothing_configured_gives_the_defaults(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    settings = load_settings(env={})
    assert settings.source == "<defaults>"
    assert settings.default_model == DEFAULT_MODEL == "gemini-2.5-flash"
    assert settings.concurrency == 16
    assert settings.endpoint == EndpointSettings(
        "developer", None, "v1beta", None, ("us-central1",)
    )
    assert settings.retry == RetrySettings(5, 0.1, 8.0)
    assert settings.transport == TransportSettings(100, 0, 30.0, 300, 10.0, 120.0, None)
    assert settings.api_key_env == ("GEMGATE_API_KEY", "GEMINI_API_KEY", "GOOGLE_API_KEY")
    assert settings.api_key_file is None
    assert "gemini-2.5-flash" in settings.catalog


def test_settings_built_by_hand_have_the_same_defaults() -> None:
    settings = Settings()
    assert (settings.default_model, settings.concurrency, settings.source) == (
        DEFAULT_MODEL,
        16,
        "<defaults>",
    )
    assert settings.catalog.names() == load_catalog().names()


def test_every_file_setting_is_read(tmp_path: Path) -> None:
    path = write(tmp_path, FULL)
    settings = load_settings(path, env={})
    assert settings.source == str(path)
    assert (settings.default_model, settings.concurrency) == ("gemini-2.5-pro", 32)
    assert settings.api_key_file == Path("/run/secrets/gemini")
    assert settings.api_key_env == ("MY_KEY",)
    assert settings.endpoint == EndpointSettings(
        "vertex", "http://127.0.0.1:8080", "v1beta1", "p", ("us-central1", "europe-west1", "global")
    )
    assert settings.retry == RetrySettings(3, 0.5, 4.0)
    assert settings.transport == TransportSettings(10, 5, 15.0, 60, 2.5, 30.0, 90.0)


def test_model_tables_in_the_file_override_and_add_models(tmp_path: Path) -> None:
    catalog = load_settings(write(tmp_path, FULL), env={}).catalog
    flash = catalog.get("gemini-2.5-flash")
    assert (flash.rpm, flash.tpm) == (1, 1_000_000)
    assert (flash.tiers[0].input, flash.tiers[0].output) == (Decimal("0.25"), Decimal("2.00"))
    assert catalog.get("my-tuned").tiers[0].input == Decimal("0.1")


def test_gemgate_config_names_the_file(tmp_path: Path) -> None:
    path = write(tmp_path, "concurrency = 7\n", "elsewhere.toml")
    settings = load_settings(env={"GEMGATE_CONFIG": str(path)})
    assert (settings.concurrency, settings.source) == (7, str(path))


def test_gemgate_toml_in_the_working_directory_is_found(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write(tmp_path, "concurrency = 9\n")
    monkeypatch.chdir(tmp_path)
    settings = load_settings(env={})
    assert (settings.concurrency, settings.source) == (9, str(tmp_path / "gemgate.toml"))


def test_an_explicit_path_wins_over_gemgate_config(tmp_path: Path) -> None:
    mine = write(tmp_path, "concurrency = 1\n", "mine.toml")
    other = write(tmp_path, "concurrency = 2\n", "other.toml")
    assert load_settings(mine, env={"GEMGATE_CONFIG": str(other)}).concurrency == 1


def test_the_process_environment_is_read_when_env_is_none(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("GEMGATE_CONFIG", raising=False)
    monkeypatch.setenv("GEMGATE_CONCURRENCY", "3")
    assert load_settings().concurrency == 3


# --- environment overrides -----------------------------------------------------------------


def test_the_environment_overrides_the_file(tmp_path: Path) -> None:
    env = {
        "GEMGATE_MODEL": "gemini-3.5-flash",
        "GEMGATE_CONCURRENCY": "64",
        "GEMGATE_BASE_URL": "https://proxy.example/",
        "GEMGATE_API_VERSION": "v1",
        "GEMGATE_VERTEX_PROJECT": "q",
        "GEMGATE_VERTEX_REGIONS": "asia-northeast1, us-east5",
        "GEMGATE_MAX_ATTEMPTS": "2",
        "GEMGATE_API_KEY_FILE": "relative/key",
        "GEMGATE_API_KEY_ENV": "A_KEY,B_KEY",
        "GEMGATE_READ_TIMEOUT_S": "5.5",
        "GEMGATE_TOTAL_TIMEOUT_S": "none",
    }
    settings = load_settings(write(tmp_path, FULL), env=env)
    assert (settings.default_model, settings.concurrency) == ("gemini-3.5-flash", 64)
    assert settings.endpoint == EndpointSettings(
        "vertex", "https://proxy.example", "v1", "q", ("asia-northeast1", "us-east5")
    )
    assert settings.retry.max_attempts == 2
    assert settings.api_key_file == Path("relative/key")
    assert settings.api_key_env == ("A_KEY", "B_KEY")
    assert (settings.transport.read_timeout_s, settings.transport.total_timeout_s) == (5.5, None)
    assert settings.source == str(tmp_path / "gemgate.toml")


def test_an_empty_variable_counts_as_unset(tmp_path: Path) -> None:
    settings = load_settings(write(tmp_path, FULL), env={"GEMGATE_CONCURRENCY": " "})
    assert settings.concurrency == 32


def test_the_endpoint_kind_can_come_from_the_environment(tmp_path: Path) -> None:
    settings = load_settings(write(tmp_path, ""), env={"GEMGATE_ENDPOINT": "vertex"})
    assert (settings.endpoint.kind, settings.endpoint.api_version) == ("vertex", "v1")


def test_vertex_falls_back_to_googles_project_and_location_variables(tmp_path: Path) -> None:
    env = {
        "GEMGATE_ENDPOINT": "vertex",
        "GOOGLE_CLOUD_PROJECT": "gp",
        "GOOGLE_CLOUD_LOCATION": "global",
    }
    endpoint = load_settings(write(tmp_path, ""), env=env).endpoint
    assert (endpoint.project, endpoint.regions) == ("gp", ("global",))


def test_googles_variables_do_not_touch_a_developer_endpoint(tmp_path: Path) -> None:
    endpoint = load_settings(write(tmp_path, ""), env={"GOOGLE_CLOUD_PROJECT": "gp"}).endpoint
    assert endpoint.project is None


def test_a_relative_key_file_in_the_config_is_relative_to_the_config(tmp_path: Path) -> None:
    settings = load_settings(write(tmp_path, 'api_key_file = "secrets/key"\n'), env={})
    assert settings.api_key_file == tmp_path / "secrets" / "key"


def test_a_total_timeout_of_zero_means_none(tmp_path: Path) -> None:
    settings = load_settings(write(tmp_path, "[transport]\ntotal_timeout_s = 0\n"), env={})
    assert settings.transport.total_timeout_s is None


def test_vertex_built_by_hand_defaults_to_v1() -> None:
    assert EndpointSettings(kind="vertex").api_version == "v1"
    assert EndpointSettings(kind="vertex", api_version="v1beta1").api_version == "v1beta1"


# --- errors: the file ----------------------------------------------------------------------


def test_a_missing_explicit_file_is_an_error(tmp_path: Path) -> None:
    missing = tmp_path / "nope.toml"
    with pytest.raises(ConfigError) as caught:
        load_settings(missing, env={})
    error = caught.value
    assert (error.source, error.key, error.reason_text) == (
        str(missing),
        "<file>",
        "config file not found",
    )


def test_a_missing_gemgate_config_file_is_an_error(tmp_path: Path) -> None:
    missing = str(tmp_path / "nope.toml")
    with pytest.raises(ConfigError) as caught:
        load_settings(env={"GEMGATE_CONFIG": missing})
    error = caught.value
    assert (error.source, error.key) == ("environment", "GEMGATE_CONFIG")
    assert error.reason_text == f"config file not found: {missing}"


def test_malformed_toml_names_the_line(tmp_path: Path) -> None:
    error = error_of(tmp_path, "concurrency = 3\n[retry\nmax_attempts = 2\n")
    assert (error.source, error.key) == (str(tmp_path / "gemgate.toml"), "line 2")
    assert error.reason_text.startswith("invalid TOML: ")
    assert "(at line 2, column" in error.reason_text


def test_a_file_that_is_not_utf8_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "gemgate.toml"
    path.write_bytes(b'default_model = "\xff"\n')
    with pytest.raises(ConfigError) as caught:
        load_settings(path, env={})
    assert (caught.value.key, caught.value.reason_text) == ("<file>", "not UTF-8 text")


# --- errors: keys and values ---------------------------------------------------------------


def test_an_unknown_key_suggests_the_closest_one(tmp_path: Path) -> None:
    error = error_of(tmp_path, "[retry]\nmax_attempt = 3\n")
    assert (error.source, error.key, error.reason_text) == (
        str(tmp_path / "gemgate.toml"),
        "retry.max_attempt",
        "unknown setting; did you mean 'max_attempts'?",
    )


def test_an_unknown_top_level_key_suggests_the_closest_one(tmp_path: Path) -> None:
    error = error_of(tmp_path, "concurency = 3\n")
    assert (error.key, error.reason_text) == (
        "concurency",
        "unknown setting; did you mean 'concurrency'?",
    )


def test_an_unknown_section_is_an_error(tmp_path: Path) -> None:
    error = error_of(tmp_path, "[retries]\nmax_attempts = 3\n")
    assert (error.key, error.reason_text) == ("retries", "unknown setting; did you mean 'retry'?")


def test_a_section_key_at_the_top_level_points_to_its_table(tmp_path: Path) -> None:
    error = error_of(tmp_path, "max_attempts = 3\n")
    assert (error.key, error.reason_text) == (
        "max_attempts",
        "unknown top-level setting; it belongs in [retry]",
    )


def test_a_key_in_the_config_file_is_refused_without_echoing_it(tmp_path: Path) -> None:
    error = error_of(tmp_path, 'api_key = "AIzaSySECRET"\n')
    assert error.key == "api_key"
    assert "never reads a key from the config file" in error.reason_text
    assert "SECRET" not in str(error)


def test_a_section_must_be_a_table(tmp_path: Path) -> None:
    error = error_of(tmp_path, "retry = 3\n")
    assert (error.key, error.reason_text) == ("retry", "expected a table, got an integer")


@pytest.mark.parametrize(
    ("text", "key", "reason"),
    [
        ('concurrency = "32"', "concurrency", "expected an integer, got a string"),
        ("concurrency = 0", "concurrency", "must be positive, got 0"),
        ("concurrency = true", "concurrency", "expected an integer, got a boolean"),
        ("default_model = 3", "default_model", "expected a string, got an integer"),
        (
            'default_model = "gemini 2.5"',
            "default_model",
            "must not contain spaces, got 'gemini 2.5'",
        ),
        ("[retry]\nmax_attempts = 0", "retry.max_attempts", "must be positive, got 0"),
        ("[retry]\nmax_attempts = 2.5", "retry.max_attempts", "expected an integer, got a float"),
        ("[retry]\nbase_delay_s = -0.1", "retry.base_delay_s", "must be >= 0, got -0.1"),
        ("[retry]\nmax_delay_s = 0", "retry.max_delay_s", "must be > 0, got 0"),
        ("[retry]\nmax_delay_s = nan", "retry.max_delay_s", "must be a finite number, got nan"),
        ("[transport]\npool_size = -1", "transport.pool_size", "must be >= 0, got -1"),
        (
            '[transport]\nread_timeout_s = "30"',
            "transport.read_timeout_s",
            "expected a number, got a string",
        ),
        ("[transport]\nconnect_timeout_s = 0", "transport.connect_timeout_s", "must be > 0, got 0"),
        (
            '[endpoint]\nkind = "aws"',
            "endpoint.kind",
            "expected 'developer' or 'vertex', got 'aws'",
        ),
        ("[endpoint]\nregions = []", "endpoint.regions", "must not be empty"),
        (
            '[endpoint]\nregions = ["us central1"]',
            "endpoint.regions",
            "not a location name: 'us central1'",
        ),
        (
            '[endpoint]\nregions = ["global", "global"]',
            "endpoint.regions",
            "must not repeat an item",
        ),
        (
            '[endpoint]\napi_version = "v2"',
            "endpoint.api_version",
            "the developer endpoint serves v1beta or v1, not 'v2'",
        ),
        (
            '[endpoint]\nkind = "vertex"\napi_version = "v1beta"',
            "endpoint.api_version",
            "the vertex endpoint serves v1 or v1beta1, not 'v1beta'",
        ),
        (
            '[endpoint]\nbase_url = "ftp://x"',
            "endpoint.base_url",
            "expected an http:// or https:// URL with a host",
        ),
        (
            "[retry]\nbase_delay_s = 10",
            "retry.base_delay_s",
            "max_delay_s (8.0) is below base_delay_s (10.0)",
        ),
        (
            "[retry]\nbase_delay_s = 2\nmax_delay_s = 1",
            "retry.max_delay_s",
            "max_delay_s (1.0) is below base_delay_s (2.0)",
        ),
        (
            '[models."gemini-2.5-flash"]\ninput = 0.3\noutput = "2.5"',
            'models."gemini-2.5-flash".input',
            'prices must be quoted strings, e.g. input = "0.075"',
        ),
    ],
)
def test_a_bad_file_value_names_file_key_and_reason(
    tmp_path: Path, text: str, key: str, reason: str
) -> None:
    error = error_of(tmp_path, text + "\n")
    assert (error.source, error.key, error.reason_text) == (
        str(tmp_path / "gemgate.toml"),
        key,
        reason,
    )


@pytest.mark.parametrize(
    "url",
    ["https://user:AIzaSySECRET@host", "https://host/?key=AIzaSySECRET", "http://[::1"],
)
def test_a_base_url_that_could_carry_a_credential_is_refused_without_echo(
    tmp_path: Path, url: str
) -> None:
    error = error_of(tmp_path, f'[endpoint]\nbase_url = "{url}"\n')
    assert error.key == "endpoint.base_url"
    assert "SECRET" not in str(error)


def test_api_key_env_takes_variable_names_and_never_echoes_values(tmp_path: Path) -> None:
    error = error_of(tmp_path, 'api_key_env = ["AIza-SECRET"]\n')
    assert (error.key, error.reason_text) == (
        "api_key_env",
        "items must be environment variable names, not keys",
    )
    assert "SECRET" not in str(error)


# --- errors: the environment ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "value", "reason"),
    [
        ("GEMGATE_CONCURRENCY", "many", "expected an integer, got 'many'"),
        ("GEMGATE_CONCURRENCY", "0", "must be positive, got 0"),
        ("GEMGATE_MAX_ATTEMPTS", "1.5", "expected an integer, got '1.5'"),
        ("GEMGATE_READ_TIMEOUT_S", "soon", "expected a number, got 'soon'"),
        ("GEMGATE_READ_TIMEOUT_S", "-1", "must be > 0, got -1"),
        ("GEMGATE_VERTEX_REGIONS", ",", "must not be empty"),
        ("GEMGATE_ENDPOINT", "azure", "expected 'developer' or 'vertex', got 'azure'"),
        ("GEMGATE_API_VERSION", "v3", "the developer endpoint serves v1beta or v1, not 'v3'"),
        ("GEMGATE_MAX_DELAY_S", "0.01", "max_delay_s (0.01) is below base_delay_s (0.1)"),
    ],
)
def test_a_bad_variable_names_the_environment_and_the_variable(
    tmp_path: Path, name: str, value: str, reason: str
) -> None:
    error = error_of(tmp_path, "", env={name: value})
    assert (error.source, error.key, error.reason_text) == ("environment", name, reason)
