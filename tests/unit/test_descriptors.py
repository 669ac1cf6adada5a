"""The open-file limit checked at start-up against the connections the configuration allows."""

from __future__ import annotations

import re
import resource
from pathlib import Path
from typing import cast

from twisted.logger import ILogObserver, Logger, LogLevel

from voyager_proxy.config import Config
from voyager_proxy.descriptors import RESERVED, check_descriptors, make_room, needed

UNIT = Path(__file__).resolve().parents[2] / "systemd" / "voyager-proxy.service"


def test_the_default_configuration_needs_every_client_and_connection() -> None:
    """1,000 dashboards + 1,536 HTTP connections + the reserve."""
    assert needed(Config()) == 1000 + 1536 + RESERVED


def test_the_soft_limit_is_raised_to_the_hard_one() -> None:
    """A soft limit of 1,024 under a hard one of 4,096 is raised to 4,096."""
    calls: list[tuple[int, int]] = []
    outcome = make_room(1576, lambda: (1024, 4096), lambda soft, hard: calls.append((soft, hard)))
    assert calls == [(4096, 4096)] and outcome.now == 4096 and outcome.enough


def test_a_soft_limit_with_room_is_left_alone() -> None:
    """Nothing is changed when the soft limit already leaves room."""
    calls: list[tuple[int, int]] = []
    outcome = make_room(1576, lambda: (8192, 8192), lambda soft, hard: calls.append((soft, hard)))
    assert calls == [] and outcome.enough


def test_a_hard_limit_too_low_is_not_enough() -> None:
    """With a hard limit of 1,024 the soft one goes no higher: the outcome says it is too low."""
    outcome = make_room(1576, lambda: (512, 1024), lambda soft, hard: None)
    assert outcome.now == 1024 and not outcome.enough


def test_an_infinite_hard_limit_gives_what_is_needed() -> None:
    """Under an unlimited hard limit the soft one is raised to what is needed."""
    calls: list[tuple[int, int]] = []
    make_room(1576, lambda: (1024, resource.RLIM_INFINITY), lambda soft, hard: calls.append((soft, hard)))
    assert calls == [(1576, resource.RLIM_INFINITY)]


def test_a_warning_gives_the_numbers_when_still_too_low() -> None:
    """When the limit cannot be raised enough, one warning names the limit, the need and the settings."""
    events: list[dict[str, object]] = []
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    config = Config()
    huge = needed(config) + (hard if hard != resource.RLIM_INFINITY else 1 << 30)
    config = Config(websocket=type(config.websocket)(max_clients=huge))
    try:
        check_descriptors(config, Logger(observer=cast(ILogObserver, events.append)))
    finally:
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))
    (event,) = [e for e in events if e["log_level"] == LogLevel.warn]
    assert event["needed"] == needed(config) and event["clients"] == huge


def test_the_shipped_unit_leaves_room_for_the_defaults() -> None:
    """systemd/voyager-proxy.service sets LimitNOFILE at or above what the default configuration needs."""
    match = re.search(r"^LimitNOFILE=(\d+)$", UNIT.read_text(), re.MULTILINE)
    assert match is not None and int(match[1]) >= needed(Config())
