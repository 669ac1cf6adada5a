"""
Where webhook events come from: the link's status and events, the command
desk's finished commands, RoboTarget's manager mode, and the image store's
notices. Each source calls C{publish(type, data, occurred_at)}.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from twisted.internet.defer import Deferred
from twisted.logger import Logger

from ..ledger import CommandDesk, LedgerEntry
from ..robotarget import RoboTarget, RoboTargetState, RoboTargetStatus
from ..voyager import ConnectionStatus, LinkState, VoyagerEvent, VoyagerLink

Publish = Callable[[str, Mapping[str, Any], "float | None"], object]
SHOT_METHOD = "RemoteCameraShot"
RUNNING_TARGET = "RoboTargetRunningTargetEphemerisPNG"


class EventSources:
    """Turns what the proxy hears into webhook events (payloads small: no images, only links)."""

    _log = Logger()

    def __init__(self, publish: Publish) -> None:
        self._publish = publish
        self._state: LinkState | None = None
        self._auth_failed = False
        self._robotarget: RoboTarget | None = None
        self._running: dict[str, Any] | None = None  # the RoboTarget target Voyager's scheduler runs

    def watch_link(self, link: VoyagerLink) -> None:
        self._state = link.status.state
        link.status_changes.subscribe(self._status)
        link.events.subscribe(self._event)

    def watch_desk(self, desk: CommandDesk) -> None:
        desk.finished.subscribe(self._command)

    def watch_robotarget(self, robotarget: RoboTarget) -> None:
        self._robotarget = robotarget
        robotarget.status_changes.subscribe(self._robotarget_status)

    def image_ready(self, notice: Mapping[str, Any]) -> None:
        """An image notice of the image store (id, url, thumbUrl, sizes, shot facts): image.ready."""
        self._send("image.ready", dict(notice), notice.get("time"))

    def _send(self, event_type: str, data: Mapping[str, Any], occurred_at: float | None) -> None:
        try:
            queued = self._publish(event_type, data, occurred_at)
        except Exception:
            self._log.failure("webhook event {type} not queued", type=event_type)
            return
        if isinstance(queued, Deferred):
            queued.addErrback(lambda _: None)  # the outbox logged why it could not commit

    def _status(self, status: ConnectionStatus) -> None:
        previous, self._state = self._state, status.state
        if status.state is previous:
            return
        data = {"connection": status.as_dict()}
        if status.state is LinkState.READY:
            self._auth_failed = False
            self._send("connection.restored", data, status.since)
        elif previous is LinkState.READY and status.state in (LinkState.DISCONNECTED, LinkState.AUTH_FAILED):
            self._send("connection.lost", data, status.since)
        if status.state is LinkState.AUTH_FAILED and not self._auth_failed:
            self._auth_failed = True  # once until a session is ready again, not at every reconnection
            self._send("connection.auth_failed", data, status.since)

    def _command(self, entry: LedgerEntry) -> None:
        data = {"command": entry.as_dict()}
        self._send("command.completed", data, None)
        if entry.command.method == SHOT_METHOD:
            self._send("shot.completed", data, None)

    def _event(self, event: VoyagerEvent) -> None:
        if event.name == "NewFITReady" and event.parsed is not None:
            parsed = event.parsed
            self._send("fit.ready", {name: parsed.get(name) for name in FIT_FIELDS}, event.received_at)
            running = self._running
            if running is not None and parsed.get("voyType") == "SHOT" and parsed.get("target") == running["name"]:
                shot = {
                    "targetGuid": running["guid"],
                    "targetName": running["name"],
                    "tag": running["tag"],
                    **{name: parsed.get(name) for name in ("path", "fileName", "type", "typeName")},
                }
                self._send("robotarget.shot.done", shot, event.received_at)
        elif event.name == RUNNING_TARGET:
            fields = event.fields
            self._running = {
                "guid": str(fields.get("TargetUID", "")),
                "name": str(fields.get("TargetName", "")),
                "tag": fields.get("TargetTAG") or None,
            }
            if self._robotarget is not None:
                self._robotarget_status(self._robotarget.status, event.received_at)

    def _robotarget_status(self, status: RoboTargetStatus, occurred_at: float | None = None) -> None:
        if status.state is not RoboTargetState.READY:
            self._running = None
        data = {"robotarget": status.as_dict(), "runningTarget": self._running}
        self._send("robotarget.status", data, occurred_at or status.since)


FIT_FIELDS = ("path", "fileName", "type", "typeName", "voyType", "target")
