"""Configuration: ini file, environment and command line into one frozen object (pure).

Each key is declared once, as an attrs field with its default and metadata;
the loader walks those declarations to read, convert and check values.
Precedence: command line > environment > ini file > built-in default.
"""

from __future__ import annotations

import configparser
import difflib
import types
import typing
from collections.abc import Callable, Mapping
from typing import Any

import attrs

ENV_PREFIX = "VOYAGER_PROXY_"
SECRET_MASK = "<SECRET>"

Check = Callable[[Any], "str | None"]


def setting(default: Any, help: str, *, secret: bool = False, check: Check | None = None) -> Any:
    """Declare one configuration key."""
    return attrs.field(default=default, metadata={"help": help, "secret": secret, "check": check})


def between(low: float, high: float) -> Check:
    return lambda value: None if low <= value <= high else f"must be from {low:g} to {high:g}"


def valid_keys(value: tuple[str, ...]) -> str | None:
    from .auth import parse_keys

    try:
        parse_keys(value)
    except ValueError as error:
        return str(error)
    return None


def jwt_secret_length(value: str) -> str | None:
    return None if not value or len(value.encode("utf-8")) >= 32 else "must be at least 32 bytes (HS256)"


def positive(value: float) -> str | None:
    return None if value > 0 else "must be greater than 0"


def at_least(low: int) -> Check:
    return lambda value: None if value >= low else f"must be at least {low}"


class _MaskedRepr:
    """repr() that shows C{<SECRET>} in place of any secret that is set."""

    def __repr__(self) -> str:
        parts = []
        for field in attrs.fields(type(self)):  # type: ignore[arg-type]  # every subclass is an attrs class
            value = getattr(self, field.name)
            shown = SECRET_MASK if field.metadata.get("secret") and value else repr(value)
            parts.append(f"{field.name}={shown}")
        return f"{type(self).__name__}({', '.join(parts)})"

    __str__ = __repr__


@attrs.frozen(repr=False)
class VoyagerSettings(_MaskedRepr):
    """[voyager]: how to reach and talk to Voyager."""

    host: str = setting("127.0.0.1", "Voyager host name or address.")
    port: int = setting(5950, "Voyager's TCP port (5950 for its first instance).", check=between(1, 65535))
    username: str = setting("", "Voyager user name; empty means no authentication.")
    password: str = setting("", "Voyager password.", secret=True)
    client_name: str = setting("voyager-proxy", "The Host field of our Polling lines.")
    max_line_bytes: int = setting(
        16 * 1024 * 1024, "Longest line accepted from Voyager, in bytes.", check=at_least(65536)
    )
    connect_timeout: float = setting(10.0, "Seconds allowed for the TCP connection.", check=positive)
    handshake_timeout: float = setting(
        10.0, "Seconds to wait for the Version event and for the login answer.", check=positive
    )
    polling_interval: float = setting(5.0, "Send Polling after this many quiet seconds.", check=positive)
    inactivity_timeout: float = setting(
        15.0, "Drop the connection after this many seconds without data.", check=positive
    )
    reconnect_initial_delay: float = setting(5.0, "Seconds before the first reconnection.", check=positive)
    reconnect_max_delay: float = setting(300.0, "Longest wait between reconnections.", check=positive)
    command_timeout: float = setting(
        60.0, "Time limit of a command that has no rule of its own, seconds.", check=positive
    )
    dashboard_mode: bool = setting(True, "Switch dashboard mode on (ControlData, previews).")
    log_events: bool = setting(False, "Switch Voyager's LogEvent stream on.")
    log_level: int = setting(
        0, "Level given to RemoteSetLogEvent: 0 all lines, 1 without INFO and DEBUG.", check=between(0, 1)
    )


@attrs.frozen(repr=False)
class HttpSettings(_MaskedRepr):
    """[http]: the REST and WebSocket server."""

    interface: str = setting("127.0.0.1", "Interface to listen on.")
    port: int = setting(3000, "TCP port; 0 picks a free one.", check=between(0, 65535))
    access_log: bool = setting(False, "Log every HTTP request (the metrics count them anyway).")
    allowed_hosts: tuple[str, ...] = setting(
        (), "Names a request's Host may give; empty: the loopback names and http.interface; * for any."
    )
    request_timeout: float = setting(
        30.0, "Seconds a client has to send a whole request, and to start the next one.", check=positive
    )
    max_connections: int = setting(
        1536,
        "Most HTTP connections open at once, WebSocket handshakes waiting their turn included; more are closed.",
        check=at_least(16),
    )
    stop_timeout: float = setting(
        5.0, "Seconds a stop gives HTTP and WebSocket clients to take their last answer.", check=between(0.1, 20)
    )


# Sheet §6: every public method but disconnect and authentication.
PUBLIC_METHODS = (
    "RemoteSetDashboardMode", "RemoteSetLogEvent", "RemoteSetupConnect", "RemoteSetupDisconnect",
    "RemoteCameraShot", "RemoteCooling", "RemoteFilterChangeTo", "RemoteGetFilterConfiguration",
    "RemoteFilterGetActual", "RemoteFocusEx", "RemoteFocuserMoveTo", "RemoteFocuserOffset",
    "RemoteRotatorMoveTo", "RemotePrecisePointTarget", "RemoteSolveActualPosition",
    "RemoteMountFastCommand", "RemoteMountStatusGetInfo", "RemotePulseGuide", "RemoteGetStatus",
    "RemoteGetCCDTemperature", "RemoteSequence", "RemoteDragScript", "RemoteGetVoyagerProfiles",
    "RemoteSetProfile", "RemoteGetListAvalaibleSequence", "RemoteGetListAvalaibleDragScript",
    "RemoteGetEnvironmentData", "RemoteRunExternal", "RemoteActionAbort", "Abort", "GetArrayElementData",
)  # fmt: skip


@attrs.frozen(repr=False)
class ApiSettings(_MaskedRepr):
    """[api]: who may call the REST API, and how much."""

    max_command_timeout: float = setting(
        86400.0, "Longest time limit a caller may ask for (?timeout=, WebSocket timeout), seconds.", check=positive
    )
    keys: tuple[str, ...] = setting(
        (),
        "API keys as name:role:key[:Method|Method...], role read or control;"
        " empty means no authentication (loopback only).",
        secret=True,
        check=valid_keys,
    )
    allowed_methods: tuple[str, ...] = setting(
        PUBLIC_METHODS, "Voyager methods that POST /api/commands/{method} may call."
    )
    cors_origins: tuple[str, ...] = setting((), "Origins allowed to call the API from a browser.")
    max_body_bytes: int = setting(1024 * 1024, "Largest request body, bytes.", check=at_least(1024))
    read_rate: float = setting(50.0, "Read requests per second and key, sustained.", check=positive)
    read_burst: int = setting(200, "Read requests per key in a burst.", check=at_least(1))
    command_rate: float = setting(5.0, "Commands per second and key, sustained.", check=positive)
    command_burst: int = setting(20, "Commands per key in a burst.", check=at_least(1))
    failed_auth_rate: float = setting(
        0.2, "Failed authentications per second and client address, sustained (REST and /ws).", check=positive
    )
    failed_auth_burst: int = setting(
        10, "Failed authentications per client address in a burst; past it, 429.", check=at_least(1)
    )
    ledger_size: int = setting(1000, "Commands remembered by GET /api/commands.", check=at_least(10))
    recent_events: int = setting(500, "Events kept for GET /api/events/recent.", check=at_least(10))


@attrs.frozen(repr=False)
class WebSocketSettings(_MaskedRepr):
    """[websocket]: the dashboards' push channel at /ws."""

    jwt_secret: str = setting(
        "",
        "HS256 secret shared with Laravel for ?token= JWTs; empty refuses tokens.",
        secret=True,
        check=jwt_secret_length,
    )
    allowed_origins: tuple[str, ...] = setting(("*",), "Browser origins allowed to open /ws (* for any).")
    max_token_lifetime: float = setting(
        86400.0, "Longest a token may live: its exp at most this many seconds ahead.", check=positive
    )
    max_clients: int = setting(1000, "Most dashboards connected at once.", check=at_least(1))
    replay_size: int = setting(
        2000, "Messages kept for clients that reconnect with ?since=&epoch=.", check=at_least(10)
    )
    slow_client_timeout: float = setting(
        30.0, "Seconds a client may leave its socket full before it is closed (1008).", check=positive
    )
    queue_limit: int = setting(
        500, "Messages held for a paused client (telemetry kept latest-only) before it is closed.", check=at_least(10)
    )
    max_message_bytes: int = setting(
        64 * 1024, "Largest message a client may send; a bigger one is answered with an error.", check=at_least(1024)
    )
    message_rate: float = setting(10.0, "Messages per second a client may send, sustained.", check=positive)
    message_burst: int = setting(
        20, "Messages a client may send at once; as many refused in a row close it (1008).", check=at_least(1)
    )
    max_rooms_per_client: int = setting(16, "Booking rooms one connection may be in.", check=at_least(1))
    max_rooms: int = setting(1000, "Booking rooms with members at once, over all connections.", check=at_least(1))


@attrs.frozen(repr=False)
class ConsoleSettings(_MaskedRepr):
    """[console]: the operator console, a web page at /console/."""

    enabled: bool = setting(True, "Serve the operator console at /console/ (/ redirects there).")


@attrs.frozen(repr=False)
class SimulatorSettingsSection(_MaskedRepr):
    """[simulator]: the embedded Voyager simulator."""

    enabled: bool = setting(False, "Start the embedded simulator on a free loopback port and use it.")
    host_name: str = setting("OBS1", "The simulated Voyager PC's name.")
    preview_width: int = setting(3000, "Width of the simulated previews, pixels.", check=between(16, 8192))
    preview_height: int = setting(2000, "Height of the simulated previews, pixels.", check=between(16, 8192))


def widths(value: tuple[int, ...]) -> str | None:
    if not value or any(not 16 <= width <= 8192 for width in value):
        return "needs one or more widths, each from 16 to 8192 pixels"
    return None


@attrs.frozen(repr=False)
class ImageSettings(_MaskedRepr):
    """[images]: the previews kept for GET /api/images and announced by imageReady."""

    keep: int = setting(20, "Previews kept, the least recently used out first.", check=at_least(1))
    max_bytes: int = setting(
        128 * 1024 * 1024, "Bytes the kept previews and their downscaled copies may take.", check=at_least(1024 * 1024)
    )
    dir: str = setting("", "Directory keeping the previews across restarts; empty keeps them in memory only.")
    widths: tuple[int, ...] = setting((320, 640, 1280), "Widths ?w= may ask for, pixels.", check=widths)
    resize_threads: int = setting(2, "Threads downscaling previews.", check=between(1, 16))
    resize_queue: int = setting(8, "Downscales waiting for a thread; past it the answer is 503.", check=at_least(0))


def four_words(value: tuple[str, ...]) -> str | None:
    return None if len(value) in (0, 4) else f"needs exactly 4 comma-separated words, got {len(value)}"


def mac_encoding(value: str) -> str | None:
    from .robotarget.signing import MAC_ENCODINGS

    return None if value in MAC_ENCODINGS else f"must be one of {', '.join(MAC_ENCODINGS)}"


@attrs.frozen(repr=False)
class RoboTargetSettings(_MaskedRepr):
    """[robotarget]: manager mode and signing; RoboTarget is off unless all three secrets are set."""

    secret: str = setting("", "RoboTarget shared secret, as entered in Voyager.", secret=True)
    mac_key: str = setting("", "The licence's MAC key.", secret=True)
    mac_words: tuple[str, ...] = setting(
        (), "The licence's four MAC words, comma separated.", secret=True, check=four_words
    )
    mac_encoding: str = setting(
        "hex-base64", "How hashes are base64-encoded: hex-base64 or raw-base64.", check=mac_encoding
    )

    @property
    def enabled(self) -> bool:
        return bool(self.secret and self.mac_key and self.mac_words)

    def inconsistency(self) -> tuple[str, str] | None:
        """The key to fix when only some of the secrets are set."""
        given = {"secret": bool(self.secret), "mac_key": bool(self.mac_key), "mac_words": bool(self.mac_words)}
        if any(given.values()) and not all(given.values()):
            missing = next(name for name, present in given.items() if not present)
            return missing, "RoboTarget needs secret, mac_key and mac_words together"
        return None


def webhook_url(value: str) -> str | None:
    import ipaddress
    import urllib.parse

    if not value:
        return None
    parts = urllib.parse.urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return "must be an http:// or https:// URL"
    if parts.scheme == "http" and parts.hostname != "localhost":
        try:
            loopback = ipaddress.ip_address(parts.hostname).is_loopback
        except ValueError:
            loopback = False
        if not loopback:
            return "must be https:// unless the host is loopback"
    return None


def webhook_secrets(value: str | tuple[str, ...]) -> str | None:
    from .webhooks.signing import secret_problem

    for text in (value,) if isinstance(value, str) else value:
        problem = secret_problem(text) if text else None
        if problem:
            return problem
    return None


def event_patterns(value: tuple[str, ...]) -> str | None:
    from .webhooks.catalogue import patterns_problem

    return patterns_problem(value)


def retry_schedule(value: tuple[str, ...]) -> str | None:
    from .webhooks.schedule import schedule_problem

    return schedule_problem(value)


@attrs.frozen(repr=False)
class WebhookSettings(_MaskedRepr):
    """[webhooks]: signed, durable, retried deliveries to Laravel (Standard Webhooks); off while url is empty."""

    url: str = setting("", "Endpoint that receives the events; empty switches webhooks off.", check=webhook_url)
    secret: str = setting("", "Signing secret, whsec_<base64> (24 to 64 bytes).", secret=True, check=webhook_secrets)
    previous_secrets: tuple[str, ...] = setting(
        (), "Secrets being retired: each adds a signature while receivers switch.", secret=True, check=webhook_secrets
    )
    events: tuple[str, ...] = setting(("*",), "Event types to send, as patterns (connection.*).", check=event_patterns)
    timeout: float = setting(10.0, "Seconds an attempt may take before it counts as failed.", check=positive)
    retry_schedule: tuple[str, ...] = setting(
        ("5s", "5m", "30m", "2h", "5h", "10h", "10h"),
        "Delays between attempts (each +-20 %); past the last one a message has failed.",
        check=retry_schedule,
    )
    concurrency: int = setting(4, "Attempts in flight at once.", check=between(1, 64))
    database: str = setting(
        "", "SQLite outbox; empty: webhooks.sqlite3 under $STATE_DIRECTORY, else /var/lib/voyager-proxy."
    )
    retention_days: float = setting(
        7.0, "Days delivered and failed messages are kept for the operator.", check=positive
    )
    max_pending: int = setting(
        10000, "Messages waiting at most; past it the oldest images go first.", check=at_least(10)
    )

    @property
    def enabled(self) -> bool:
        return bool(self.url)

    def inconsistency(self) -> tuple[str, str] | None:
        """A URL without a secret would send unsigned events."""
        if self.url and not self.secret:
            return "secret", "webhooks.url is set: a secret (whsec_...) is needed to sign the events"
        return None


@attrs.frozen(repr=False)
class Config(_MaskedRepr):
    """The whole configuration."""

    voyager: VoyagerSettings = attrs.field(factory=VoyagerSettings)
    http: HttpSettings = attrs.field(factory=HttpSettings)
    api: ApiSettings = attrs.field(factory=ApiSettings)
    websocket: WebSocketSettings = attrs.field(factory=WebSocketSettings)
    console: ConsoleSettings = attrs.field(factory=ConsoleSettings)
    images: ImageSettings = attrs.field(factory=ImageSettings)
    simulator: SimulatorSettingsSection = attrs.field(factory=SimulatorSettingsSection)
    robotarget: RoboTargetSettings = attrs.field(factory=RoboTargetSettings)
    webhooks: WebhookSettings = attrs.field(factory=WebhookSettings)

    def describe(self) -> dict[str, dict[str, object]]:
        """Every value by section, secrets masked: safe to log."""
        described: dict[str, dict[str, object]] = {}
        for section in attrs.fields(Config):
            values = getattr(self, section.name)
            described[section.name] = {
                field.name: SECRET_MASK
                if field.metadata.get("secret") and getattr(values, field.name)
                else getattr(values, field.name)
                for field in attrs.fields(type(values))
            }
        return described


class ConfigError(Exception):
    """One problem, naming its key (C{section.key}, or C{config} for the file)."""

    def __init__(self, key: str, message: str) -> None:
        super().__init__(f"{key}: {message}")
        self.key = key
        self.message = message


class ConfigErrors(Exception):
    """Every problem found; its text has one line per problem."""

    def __init__(self, errors: list[ConfigError]) -> None:
        super().__init__("\n".join(str(error) for error in errors))
        self.errors = errors


def _sections() -> dict[str, type]:
    hints = typing.get_type_hints(Config)
    return {field.name: hints[field.name] for field in attrs.fields(Config)}


def _field_type(section: type, name: str) -> Any:
    return typing.get_type_hints(section)[name]


_TRUE = {"true", "yes", "on", "1"}
_FALSE = {"false", "no", "off", "0"}


def _convert(kind: Any, text: str) -> Any:
    if kind is bool:
        lowered = text.strip().lower()
        if lowered in _TRUE:
            return True
        if lowered in _FALSE:
            return False
        raise ValueError("must be true or false")
    if kind is int:
        try:
            return int(text.strip())
        except ValueError:
            raise ValueError("must be an integer") from None
    if kind is float:
        try:
            return float(text.strip())
        except ValueError:
            raise ValueError("must be a number") from None
    if typing.get_origin(kind) in (list, tuple):
        items = tuple(item.strip() for item in text.split(",") if item.strip())
        if typing.get_args(kind)[:1] == (int,):
            try:
                return tuple(int(item) for item in items)
            except ValueError:
                raise ValueError("must be comma-separated integers") from None
        return items
    if isinstance(kind, types.UnionType):
        return text.strip() or None
    return text.strip()


def _suggest(word: str, choices: list[str]) -> str:
    close = difflib.get_close_matches(word, choices, n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


def _read_file(path: str, errors: list[ConfigError]) -> dict[str, dict[str, str]]:
    parser = configparser.ConfigParser(interpolation=None, default_section="\x00unused")
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    try:
        with open(path, encoding="utf-8") as handle:
            parser.read_file(handle)
    except OSError as error:
        errors.append(ConfigError("config", f"cannot read {path}: {error.strerror}"))
        return {}
    except configparser.Error as error:
        errors.append(ConfigError("config", f"{path} is not a valid ini file: {error.message}"))
        return {}
    return {section: dict(parser[section]) for section in parser.sections()}


def load_config(path: str | None, environ: Mapping[str, str], overrides: Mapping[str, str]) -> Config:
    """Build the configuration, or raise L{ConfigErrors} listing every problem."""
    errors: list[ConfigError] = []
    sections = _sections()
    raw: dict[str, dict[str, str]] = {name: {} for name in sections}

    def place(key: str, section: str, name: str, value: str) -> None:
        if section not in sections:
            errors.append(ConfigError(key, f"unknown section{_suggest(section, list(sections))}"))
            return
        names = [field.name for field in attrs.fields(sections[section])]
        if name not in names:
            errors.append(ConfigError(key, f"unknown key{_suggest(name, names)}"))
            return
        raw[section][name] = value

    if path is not None:
        for section, entries in _read_file(path, errors).items():
            for name, value in entries.items():
                place(f"{section}.{name}", section, name, value)
    env_names = {
        f"{ENV_PREFIX}{section.upper()}_{field.name.upper()}": (section, field.name)
        for section, cls in sections.items()
        for field in attrs.fields(cls)
    }
    for variable, value in environ.items():
        if not variable.startswith(ENV_PREFIX):
            continue
        if variable not in env_names:
            errors.append(ConfigError(variable, f"unknown environment variable{_suggest(variable, list(env_names))}"))
            continue
        section, name = env_names[variable]
        raw[section][name] = value
    for key, value in overrides.items():
        section, _, name = key.partition(".")
        place(key, section, name, value)

    built: dict[str, Any] = {}
    for section, cls in sections.items():
        values: dict[str, Any] = {}
        errors_before = len(errors)
        for field in attrs.fields(cls):
            if field.name not in raw[section]:
                continue
            key = f"{section}.{field.name}"
            text = raw[section][field.name]
            shown = SECRET_MASK if field.metadata.get("secret") else repr(text)
            try:
                value = _convert(_field_type(cls, field.name), text)
            except ValueError as error:
                errors.append(ConfigError(key, f"{error}, got {shown}"))
                continue
            check = field.metadata.get("check")
            problem = check(value) if check is not None else None
            if problem:
                errors.append(ConfigError(key, f"{problem}, got {shown}"))
                continue
            values[field.name] = value
        built[section] = cls(**values)
        inconsistency = getattr(built[section], "inconsistency", lambda: None)()
        if inconsistency is not None and len(errors) == errors_before:
            errors.append(ConfigError(f"{section}.{inconsistency[0]}", inconsistency[1]))
    if errors:
        raise ConfigErrors(errors)
    return Config(**built)
