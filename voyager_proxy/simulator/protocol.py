"""One client connected to the simulator: framing, login window, heartbeat, modes."""

from __future__ import annotations

import base64
import binascii
import json
from typing import TYPE_CHECKING, Any, Protocol, cast

from twisted.internet.interfaces import IDelayedCall
from twisted.internet.protocol import connectionDone
from twisted.logger import Logger
from twisted.protocols.basic import LineReceiver
from twisted.python.failure import Failure

if TYPE_CHECKING:
    from .server import VoyagerSimulator

OPEN_METHODS = frozenset({"AuthenticateUserBase", "disconnect"})


class Connection(Protocol):
    """What the simulator uses of a client's TCP transport (Twisted's ITransport lacks the last two)."""

    disconnecting: bool

    def write(self, data: bytes) -> None: ...

    def loseConnection(self) -> None: ...

    def abortConnection(self) -> None: ...


class SimulatorProtocol(LineReceiver):
    """Voyager's side of one client connection."""

    delimiter = b"\n"
    MAX_LENGTH = 1024 * 1024
    _log = Logger()

    @property
    def connection(self) -> Connection:
        """The client's transport, once connected."""
        assert self.transport is not None, "not connected"
        return cast(Connection, self.transport)

    def __init__(self, simulator: VoyagerSimulator) -> None:
        self.simulator = simulator
        self.authenticated = not simulator.settings.username
        self.dashboard = False
        self.log_level: int | None = None
        self.robotarget_manager = False
        self.session_key = ""
        self._timers: dict[str, IDelayedCall] = {}

    # Connection.

    def connectionMade(self) -> None:
        settings = self.simulator.settings
        self.simulator.clients.append(self)
        self.session_key = f"{self.simulator.clock.seconds():.5f}"
        self.send_raw(
            (
                '{"Event":"Version","Timestamp":%s,"Host":%s,"Inst":%d,"VOYVersion":%s,'
                '"VOYSubver":"","MsgVersion":1}'
                % (self.session_key, json.dumps(settings.host_name), settings.instance, json.dumps(settings.version))
            ).encode()
        )
        self._restart("inactivity", settings.inactivity_timeout, self._inactive)
        if not self.authenticated:
            self._restart("login", settings.auth_timeout, self._login_window_closed)

    def connectionLost(self, reason: Failure = connectionDone) -> None:
        for timer in self._timers.values():
            if timer.active():
                timer.cancel()
        self._timers.clear()
        if self in self.simulator.clients:
            self.simulator.clients.remove(self)

    def close(self) -> None:
        self.connection.loseConnection()

    # Sending.

    def send(self, message: dict[str, Any]) -> None:
        self.send_raw(json.dumps(message, ensure_ascii=False).encode("utf-8"))

    def send_raw(self, line: bytes) -> None:
        """Send one line, unless the simulator is stalled."""
        faults = self.simulator.faults
        if faults.stalled or self.transport is None or self.connection.disconnecting:
            return
        data = line + b"\r\n"
        if faults.split_writes:
            for start in range(0, len(data), faults.split_writes):
                self.connection.write(data[start : start + faults.split_writes])
        else:
            self.connection.write(data)
        self._restart("polling", self.simulator.settings.polling_interval, self._send_polling)

    def answer(self, request_id: Any, **member: Any) -> None:
        self.send({"jsonrpc": "2.0", **member, "id": request_id})

    def error(self, request_id: Any, code: int, message: str) -> None:
        self.answer(request_id, error={"code": code, "message": message})

    # Receiving.

    def lineReceived(self, line: bytes) -> None:
        line = line.rstrip(b"\r")
        if not line.strip():
            return
        try:
            request = json.loads(line)
        except ValueError:
            self._log.info("simulator: ignored a line that is not JSON")
            return
        if not isinstance(request, dict):
            return
        self._restart("inactivity", self.simulator.settings.inactivity_timeout, self._inactive)
        if "Event" in request:
            return  # the client's Polling: only proves it is alive
        method, request_id = request.get("method"), request.get("id")
        params = request.get("params", {})
        if not isinstance(method, str) or not isinstance(params, dict):
            self.error(request_id, -32600, "invalid request")
            return
        if not self.authenticated and method not in OPEN_METHODS:
            self._log.info("simulator: {method} before authentication; closing", method=method)
            self.close()
            return
        self.simulator.dispatch(self, method, request_id, params)

    def lineLengthExceeded(self, line: bytes) -> None:
        self._log.info("simulator: client line too long; closing")
        self.connection.loseConnection()

    def authenticate(self, request_id: Any, params: dict[str, Any]) -> None:
        """AuthenticateUserBase: answer with authbase, or say "Authentication Rejected" (code 1) and hang up."""
        settings = self.simulator.settings
        try:
            user, _, password = base64.b64decode(str(params.get("Base", "")), validate=True).decode().partition(":")
        except (binascii.Error, UnicodeDecodeError):
            user = password = ""
        expected = (settings.username, settings.password or "")
        if self.simulator.faults.reject_auth or (user, password) != expected:
            self._log.info("simulator: bad credentials; closing")
            self.error(request_id, 1, "Authentication Rejected")
            self.connection.loseConnection()
            return
        self.authenticated = True
        self._cancel("login")
        self.answer(
            request_id,
            authbase={"Username": user, "FirstName": "", "LastName": "", "Mail": "", "Permissions": 1, "Note": ""},
        )

    # Timers.

    def _restart(self, name: str, seconds: float, action: Any) -> None:
        timer = self._timers.get(name)
        if timer is not None and timer.active():
            timer.reset(seconds)
        elif self.transport is not None and not self.connection.disconnecting:
            self._timers[name] = self.simulator.clock.callLater(seconds, action)

    def _cancel(self, name: str) -> None:
        timer = self._timers.pop(name, None)
        if timer is not None and timer.active():
            timer.cancel()

    def _send_polling(self) -> None:
        self.send(self.simulator.event("Polling"))

    def _inactive(self) -> None:
        self._log.info("simulator: client silent too long; closing")
        self.close()

    def _login_window_closed(self) -> None:
        if not self.authenticated:
            self._log.info("simulator: no login within the window; closing")
            self.close()
