"""Configuration loading: precedence, conversion, checks, secrets."""

from __future__ import annotations

import configparser
from pathlib import Path

import attrs
import pytest

from voyager_proxy.config import Config, ConfigErrors, load_config

EXAMPLE = Path(__file__).resolve().parents[2] / "etc" / "voyager-proxy.ini"


def write(tmp_path: Path, text: str) -> str:
    path = tmp_path / "proxy.ini"
    path.write_text(text)
    return str(path)


def errors_of(*args: object) -> list[str]:
    with pytest.raises(ConfigErrors) as caught:
        load_config(*args)  # type: ignore[arg-type]
    return str(caught.value).splitlines()


def test_defaults() -> None:
    """With nothing given, every value is the built-in default."""
    config = load_config(None, {}, {})
    assert config == Config()
    assert (config.voyager.port, config.http.interface, config.http.port) == (5950, "127.0.0.1", 3000)


def test_precedence_cli_over_env_over_file(tmp_path: Path) -> None:
    """Command line beats environment, which beats the file, which beats the default."""
    path = write(tmp_path, "[voyager]\nhost = file-host\nport = 5951\nusername = file-user\n")
    environ = {"VOYAGER_PROXY_VOYAGER_HOST": "env-host", "VOYAGER_PROXY_VOYAGER_PORT": "5952"}
    config = load_config(path, environ, {"voyager.host": "cli-host"})
    assert config.voyager.host == "cli-host"
    assert config.voyager.port == 5952
    assert config.voyager.username == "file-user"
    assert config.voyager.client_name == "voyager-proxy"


@pytest.mark.parametrize(
    ("key", "text", "value"),
    [
        ("voyager.dashboard_mode", "off", False),
        ("voyager.log_events", "YES", True),
        ("voyager.inactivity_timeout", "7.5", 7.5),
        ("http.port", "0", 0),
        ("simulator.enabled", "1", True),
    ],
)
def test_conversions(key: str, text: str, value: object) -> None:
    """Booleans, floats and integers are read from their text forms."""
    section, name = key.split(".")
    config = load_config(None, {}, {key: text})
    assert getattr(getattr(config, section), name) == value


@pytest.mark.parametrize(
    ("key", "text", "message"),
    [
        ("voyager.port", "abc", "voyager.port: must be an integer, got 'abc'"),
        ("voyager.port", "70000", "voyager.port: must be from 1 to 65535, got '70000'"),
        ("http.port", "-1", "http.port: must be from 0 to 65535, got '-1'"),
        ("voyager.polling_interval", "0", "voyager.polling_interval: must be greater than 0, got '0'"),
        ("voyager.dashboard_mode", "maybe", "voyager.dashboard_mode: must be true or false, got 'maybe'"),
        ("voyager.max_line_bytes", "100", "voyager.max_line_bytes: must be at least 65536, got '100'"),
    ],
)
def test_bad_values_name_the_key(key: str, text: str, message: str) -> None:
    """A wrong type or range is one line naming the key and the value."""
    assert errors_of(None, {}, {key: text}) == [message]


def test_unknown_key_and_section_with_suggestion(tmp_path: Path) -> None:
    """Typos in the file are errors, with the close match suggested."""
    path = write(tmp_path, "[voyager]\nhots = x\n[htpp]\nport = 1\n")
    assert errors_of(path, {}, {}) == [
        "voyager.hots: unknown key (did you mean 'host'?)",
        "htpp.port: unknown section (did you mean 'http'?)",
    ]


def test_unknown_environment_variable() -> None:
    """A misspelt VOYAGER_PROXY_* variable is an error; other variables are ignored."""
    lines = errors_of(None, {"VOYAGER_PROXY_VOYAGER_PASWORD": "x", "HOME": "/root"}, {})
    assert lines == [
        "VOYAGER_PROXY_VOYAGER_PASWORD: unknown environment variable (did you mean 'VOYAGER_PROXY_VOYAGER_PASSWORD'?)"
    ]


def test_missing_and_unparsable_files(tmp_path: Path) -> None:
    """A missing file or a broken ini file is reported under 'config'."""
    assert errors_of(str(tmp_path / "nope.ini"), {}, {})[0].startswith("config: cannot read")
    broken = write(tmp_path, "port = 1\n")
    assert errors_of(broken, {}, {})[0].startswith("config: ")


def test_every_error_is_reported_at_once(tmp_path: Path) -> None:
    """All problems come together, so the operator fixes them in one go."""
    path = write(tmp_path, "[voyager]\nport = x\n")
    lines = errors_of(path, {"VOYAGER_PROXY_HTTP_PORT": "y"}, {"voyager.nope": "1"})
    assert len(lines) == 3


def test_secrets_are_masked() -> None:
    """repr, str and describe() show <SECRET> instead of the password."""
    config = load_config(None, {"VOYAGER_PROXY_VOYAGER_PASSWORD": "hunter2"}, {})
    assert config.voyager.password == "hunter2"
    for text in (repr(config), str(config), repr(config.voyager), str(config.describe())):
        assert "hunter2" not in text and "<SECRET>" in text


def test_example_file_matches_the_defaults() -> None:
    """etc/voyager-proxy.ini lists every key with exactly its built-in default."""
    parser = configparser.ConfigParser(interpolation=None)
    parser.read(EXAMPLE)
    defaults = Config()
    expected = {
        section.name: {field.name for field in attrs.fields(type(getattr(defaults, section.name)))}
        for section in attrs.fields(Config)
    }
    assert {name: set(parser[name]) for name in parser.sections()} == expected
    assert load_config(str(EXAMPLE), {}, {}) == defaults


def test_robotarget_needs_all_three_secrets_and_four_words() -> None:
    """RoboTarget is on only with secret, MAC key and four words; a partial setup names what is missing."""
    environ = {
        "VOYAGER_PROXY_ROBOTARGET_SECRET": "obs-secret",
        "VOYAGER_PROXY_ROBOTARGET_MAC_KEY": "MAC-KEY",
        "VOYAGER_PROXY_ROBOTARGET_MAC_WORDS": "w1, w2,w3 ,w4",
    }
    config = load_config(None, environ, {})
    assert config.robotarget.enabled and config.robotarget.mac_words == ("w1", "w2", "w3", "w4")
    assert not load_config(None, {}, {}).robotarget.enabled
    assert errors_of(None, {k: v for k, v in environ.items() if not k.endswith("MAC_KEY")}, {}) == [
        "robotarget.mac_key: RoboTarget needs secret, mac_key and mac_words together"
    ]
    assert errors_of(None, {**environ, "VOYAGER_PROXY_ROBOTARGET_MAC_WORDS": "w1,w2,w3"}, {}) == [
        "robotarget.mac_words: needs exactly 4 comma-separated words, got 3, got <SECRET>"
    ]
    assert errors_of(None, environ, {"robotarget.mac_encoding": "hex"}) == [
        "robotarget.mac_encoding: must be one of hex-base64, raw-base64, got 'hex'"
    ]
    for text in (repr(config), str(config.describe())):
        assert "obs-secret" not in text and "MAC-KEY" not in text and "w4" not in text


def test_webhook_settings_are_checked() -> None:
    """[webhooks]: https unless loopback, a whsec_ secret with the URL, known event patterns, a usable schedule."""
    secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
    assert errors_of(None, {}, {"webhooks.url": "http://laravel.example/hooks", "webhooks.secret": secret}) == [
        "webhooks.url: must be https:// unless the host is loopback, got 'http://laravel.example/hooks'"
    ]
    assert errors_of(None, {}, {"webhooks.url": "https://laravel.example/hooks"}) == [
        "webhooks.secret: webhooks.url is set: a secret (whsec_...) is needed to sign the events"
    ]
    assert errors_of(None, {"VOYAGER_PROXY_WEBHOOKS_SECRET": "hunter2"}, {}) == [
        "webhooks.secret: must start with whsec_, got <SECRET>"
    ]
    assert errors_of(None, {}, {"webhooks.events": "image.*,imagez.ready", "webhooks.retry_schedule": "5s,soon"}) == [
        "webhooks.events: 'imagez.ready' matches no event type (known: image.ready, fit.ready, shot.completed,"
        " command.completed, connection.lost, connection.restored, connection.auth_failed, robotarget.status,"
        " robotarget.shot.done, webhook.test), got 'image.*,imagez.ready'",
        "webhooks.retry_schedule: 'soon' is not a duration such as 5s, 5m, 2h or 1d, got '5s,soon'",
    ]
    loaded = load_config(None, {"VOYAGER_PROXY_WEBHOOKS_SECRET": secret}, {"webhooks.url": "http://127.0.0.1:8080/h"})
    assert loaded.webhooks.enabled and loaded.webhooks.secret == secret
