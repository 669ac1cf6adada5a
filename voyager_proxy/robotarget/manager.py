"""RoboTarget manager mode on every Voyager session, and signed RoboTarget calls."""

from __future__ import annotations

import enum
from collections.abc import Mapping
from typing import Any

import attrs
from twisted.internet.defer import Deferred, fail
from twisted.internet.interfaces import IDelayedCall, IReactorTime
from twisted.logger import Logger
from twisted.python.failure import Failure

from ..config import RoboTargetSettings
from ..voyager import (
    ActionFailed,
    ConnectionStatus,
    EventBus,
    LinkState,
    SessionRef,
    VoyagerError,
    VoyagerEvent,
    VoyagerLink,
)
from .signing import command_mac, manager_hash

DONE = "DONE"
PREFIX = "RemoteRoboTarget"


class RoboTargetState(enum.Enum):
    """Whether RoboTarget calls can be made now."""

    DISABLED = "disabled"  # not configured
    WAITING = "waiting"  # no ready Voyager session
    ACTIVATING = "activating"
    READY = "ready"
    ERROR = "error"  # Voyager refused manager mode on this session


@attrs.frozen
class RoboTargetStatus:
    state: RoboTargetState
    since: float
    reason: str | None = None
    version_db: Any = None
    retry_at: float | None = None  # when manager mode is tried again after an error

    def as_dict(self) -> dict[str, Any]:
        return {
            "state": self.state.value,
            "since": self.since,
            "reason": self.reason,
            "versionDB": self.version_db,
            "retryAt": self.retry_at,
        }


class RoboTargetUnavailable(VoyagerError):
    """RoboTarget is off, waiting for Voyager, or was refused on this session."""

    def __init__(self, status: RoboTargetStatus) -> None:
        super().__init__(f"RoboTarget is {status.state.value}" + (f": {status.reason}" if status.reason else ""))
        self.status = status


class RoboTargetRefused(VoyagerError):
    """Voyager answered a RoboTarget call with something other than DONE."""

    def __init__(self, method: str, answer: str) -> None:
        super().__init__(f"{method}: Voyager answered {answer!r}")
        self.method = method
        self.answer = answer


def _param_ret(outcome: Any) -> dict[str, Any]:
    fields = outcome.fields if isinstance(outcome, VoyagerEvent) else {}
    param_ret = fields.get("ParamRet")
    return dict(param_ret) if isinstance(param_ret, Mapping) else {}


def _refusal(failure: Failure) -> str:
    """Voyager's own words for a refusal: ParamRet.ret, else Motivo, else the error."""
    error = failure.value
    if isinstance(error, ActionFailed):
        ret = error.param_ret.get("ret") if isinstance(error.param_ret, Mapping) else None
        return str(ret or error.reason or error)
    return failure.getErrorMessage()


class RoboTarget:
    """
    Enters manager mode on each new Voyager session when configured, and
    signs every RoboTarget call with that session's key, its id and its UID.
    Its L{status} tells whether calls can be made (C{status_changes} carries
    each change); the rest of the proxy works whatever it says. A refused
    manager mode is tried again on the same session after C{RETRY_FIRST}
    seconds, doubling up to C{RETRY_MAX}.

    Calls are private: their results (customers' bookings, JPEGs) go to the
    caller only, never to dashboards or the recent-events list.
    """

    RETRY_FIRST = 30.0
    RETRY_MAX = 600.0
    _log = Logger()

    def __init__(self, link: VoyagerLink, clock: IReactorTime, settings: RoboTargetSettings) -> None:
        self._link = link
        self._clock = clock
        self._settings = settings
        self._session: SessionRef | None = None  # the session manager mode is for
        self._retry: IDelayedCall | None = None
        self._retry_delay = self.RETRY_FIRST
        self.pending_removals: set[str] = set()  # sets a failed plan could not remove yet
        initial = RoboTargetState.WAITING if settings.enabled else RoboTargetState.DISABLED
        reason = None if settings.enabled else "set robotarget.secret, mac_key and mac_words to use RoboTarget"
        self.status = RoboTargetStatus(initial, clock.seconds(), reason)
        self.status_changes: EventBus[RoboTargetStatus] = EventBus()
        if settings.enabled:
            link.add_session_setup(self._session_setup)
            link.status_changes.subscribe(self._link_changed)

    def call(self, name: str, params: Mapping[str, Any]) -> Deferred[dict[str, Any]]:
        """
        Send C{RemoteRoboTarget<name>}, signed; fires with its ParamRet, or
        fails with L{RoboTargetRefused} when C{ret} is not DONE, with
        L{RoboTargetUnavailable} or L{NotReady} when it cannot be sent (never
        raises).
        """
        method = PREFIX + name
        try:
            self.ensure_ready()
            assert self._session is not None
            # On the session that entered manager mode, which may still be
            # switching dashboard mode on: manager mode came first.
            command = self._link.submit(method, params, sign=self._sign, private=True, session=self._session)
        except VoyagerError:
            return fail()
        return command.finished().addCallback(self._checked, method)

    def describe(self) -> dict[str, Any]:
        """The status, with the sets of failed plans still to remove."""
        return {**self.status.as_dict(), "pendingRemovals": sorted(self.pending_removals)}

    def remove_later(self, set_guid: str) -> None:
        """Remove a failed plan's set once RoboTarget is ready again."""
        self.pending_removals.add(set_guid)

    def ensure_ready(self) -> None:
        """Raise L{RoboTargetUnavailable} unless calls can be made now."""
        if self.status.state is not RoboTargetState.READY:
            raise RoboTargetUnavailable(self.status)

    @staticmethod
    def _checked(outcome: Any, method: str) -> dict[str, Any]:
        """ParamRet, when C{ret} says DONE (lists may leave C{ret} out; writes may not)."""
        param_ret = _param_ret(outcome)
        is_list = method.startswith(PREFIX + "Get")
        answer = param_ret.get("ret", DONE if is_list else None)
        if answer != DONE:
            raise RoboTargetRefused(method, str(answer))
        return param_ret

    def _sign(self, session_key: str, request_id: int, uid: str) -> str:
        settings = self._settings
        return command_mac(settings.secret, session_key, request_id, uid, settings.mac_encoding)

    def _session_setup(self, session: SessionRef) -> None:
        """Manager mode goes first after authentication, before dashboard and log mode."""
        self._session = session
        self._activate(session)

    def _link_changed(self, status: ConnectionStatus) -> None:
        if status.state is LinkState.CONFIGURING:
            return  # the session's setup step is running
        session = self._link.ready_session
        if session is None:
            self._session = None
            self._cancel_retry()
            self._retry_delay = self.RETRY_FIRST
            if self.status.state is not RoboTargetState.WAITING:
                self._set(RoboTargetState.WAITING, f"Voyager is {status.state.value}")
        elif session != self._session:
            self._session = session  # a session that was set up before we listened
            self._activate(session)

    def _activate(self, session: SessionRef) -> None:
        self._retry = None
        if session != self._session:
            return  # that session ended while the retry waited
        settings = self._settings
        self._set(RoboTargetState.ACTIVATING)
        signed = manager_hash(settings.secret, session.key, settings.mac_words, settings.mac_encoding)
        command = self._link.submit(
            "RemoteSetRoboTargetManagerMode",
            {"MACKey": settings.mac_key, "Hash": signed},
            private=True,
            session=session,
        )
        command.finished().addCallbacks(self._activated, self._refused, callbackArgs=(session,), errbackArgs=(session,))

    def _activated(self, outcome: Any, session: SessionRef) -> None:
        if session != self._session:
            return  # that session is gone; a newer one activates itself
        param_ret = _param_ret(outcome)
        if param_ret.get("ret") == DONE:
            self._log.info(
                "RoboTarget manager mode active (MAC encoding {encoding}, database version {version})",
                encoding=self._settings.mac_encoding,
                version=param_ret.get("VersionDB"),
            )
            self._retry_delay = self.RETRY_FIRST
            self._set(RoboTargetState.READY, version_db=param_ret.get("VersionDB"))
            for set_guid in sorted(self.pending_removals):
                self.call("RemoveSet", {"RefGuidSet": set_guid}).addCallbacks(
                    lambda _, guid=set_guid: self.pending_removals.discard(guid),
                    lambda failure, guid=set_guid: self._log.error(
                        "Set {guid} of a failed plan is still not removed: {error}",
                        guid=guid,
                        error=failure.getErrorMessage(),
                    ),
                )
        else:
            self._fail(session, f"Voyager answered {param_ret.get('ret')!r}")

    def _refused(self, failure: Failure, session: SessionRef) -> None:
        if session == self._session:
            self._fail(session, _refusal(failure))

    def _fail(self, session: SessionRef, reason: str) -> None:
        delay, self._retry_delay = self._retry_delay, min(self._retry_delay * 2, self.RETRY_MAX)
        self._log.error(
            "RoboTarget manager mode refused: {reason} (check robotarget.secret, mac_key, mac_words; "
            "mac_encoding is {encoding}); trying again in {delay:g} s",
            reason=reason,
            encoding=self._settings.mac_encoding,
            delay=delay,
        )
        self._retry = self._clock.callLater(delay, self._activate, session)
        self._set(RoboTargetState.ERROR, reason, retry_at=self._clock.seconds() + delay)

    def _cancel_retry(self) -> None:
        if self._retry is not None and self._retry.active():
            self._retry.cancel()
        self._retry = None

    def _set(
        self, state: RoboTargetState, reason: str | None = None, version_db: Any = None, retry_at: float | None = None
    ) -> None:
        self.status = RoboTargetStatus(state, self._clock.seconds(), reason, version_db, retry_at)
        self.status_changes.publish(self.status)
