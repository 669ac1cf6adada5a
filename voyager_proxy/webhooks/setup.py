"""Webhooks as configured: the database's place, and the service with its writer thread and HTTP sender."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Mapping
from typing import Any

from ..config import WebhookSettings
from .outbox import Outbox, WriterThread
from .sender import HttpSender
from .service import Webhooks
from .store import Store

FILE_NAME = "webhooks.sqlite3"
STATE_DIRECTORY = "/var/lib/voyager-proxy"


def database_path(settings: WebhookSettings, simulator: bool, environ: Mapping[str, str]) -> str:
    """webhooks.database, else a temporary file with the simulator, else under systemd's StateDirectory=."""
    if settings.database:
        return settings.database
    if simulator:
        return os.path.join(tempfile.mkdtemp(prefix="voyager-proxy-webhooks-"), FILE_NAME)
    directory = environ.get("STATE_DIRECTORY", "").split(":")[0] or STATE_DIRECTORY
    return os.path.join(directory, FILE_NAME)


def build_webhooks(reactor: Any, settings: WebhookSettings, database: str) -> Webhooks:
    """The webhook service over the SQLite file C{database}."""
    store = Store(database)
    writer = WriterThread(reactor)
    sender = HttpSender(reactor, settings.timeout, settings.concurrency)
    service = Webhooks(
        reactor,
        settings,
        lambda on_drop: Outbox(store, writer, settings.max_pending, on_drop),
        sender.send,
        hang_up=sender.close,
    )
    service.setName("webhooks")
    return service
