"""How each Voyager method completes and how long to wait for it (pure).

One table, L{RULES}, says for every method with a rule of its own what ends
it and how long it may take; every other method ends with its
RemoteActionResult and gets the configured C{voyager.command_timeout}. The
completions follow Voyager's documents ("final" of each method):

  - C{disconnect}, C{Abort}, C{RemoteDragScript}, C{RemoteActionAbortAll},
    C{AuthenticateUserBase} and C{AuthenticateUserTicket} send no
    RemoteActionResult: they end with their JSON-RPC answer. A result that
    arrives anyway for such a command is ignored.
  - C{GetArrayElementData} is answered by the C{ArrayElementData} event.
  - C{RemoteActionAbort} carries the UID of the running action it stops (not
    a fresh one) and Voyager sends no result of its own for it: the
    RemoteActionResult of the aborted action (code 7 ABORTED when the abort
    worked) ends both that action and the abort. Whatever its code, the
    action is over, so the abort succeeds with that event.
  - C{Abort}, C{disconnect} and C{GetArrayElementData} take no UID param: the
    proxy tracks them by a UID of its own that it never sends.

The documents give no time limits ("long actions end when the action ends");
the limits here are ours. A command that outlives its limit is reported as
timed out, never as failed: Voyager may still be running it.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from typing import Any

import attrs


class Completion(enum.Enum):
    """What ends a command."""

    RESULT = "result"  # the RemoteActionResult event with the command's UID
    ACK = "ack"  # the immediate JSON-RPC answer to its id
    EVENT = "event"  # a dedicated answer event (no UID, first come first served)


class Uid(enum.Enum):
    """What the UID param of a request is."""

    OWN = "own"  # a fresh UID chosen by the proxy, sent with the request
    NONE = "none"  # the method takes no UID: the proxy's own is never sent
    TARGET = "target"  # the caller names another action's UID (RemoteActionAbort)


@attrs.frozen
class Rule:
    """How one method completes and its default time limit."""

    completion: Completion = Completion.RESULT
    seconds: float | None = None  # None: the configured command_timeout
    plus: str | None = None  # a param whose value (in seconds) is added to C{seconds}
    plus_scale: float = 1.0  # unit of C{plus} in seconds (0.001 for milliseconds)
    uid: Uid = Uid.OWN
    answer_event: str | None = None  # for Completion.EVENT

    def limit(self, params: Mapping[str, Any], fallback: float) -> float:
        """Seconds to wait for this command when the caller gives no limit."""
        seconds = fallback if self.seconds is None else self.seconds
        if self.plus is not None:
            seconds += _number(params, self.plus) * self.plus_scale
        return seconds


MINUTE = 60.0
HOUR = 3600.0
SHOT_OVERHEAD = 2 * MINUTE  # download, save, JPEG after the exposure itself
SETUP_OVERHEAD = 30.0  # beyond the connect/disconnect timeout the caller gives Voyager
ROBOTARGET_TIMEOUT = 30.0  # database calls

_DEFAULT = Rule()
_ACK = Rule(Completion.ACK)

RULES: Mapping[str, Rule] = {
    # Ended by the JSON-RPC answer.
    "disconnect": Rule(Completion.ACK, uid=Uid.NONE),
    "Abort": Rule(Completion.ACK, uid=Uid.NONE),
    "RemoteActionAbortAll": _ACK,
    "RemoteDragScript": _ACK,
    "AuthenticateUserBase": _ACK,
    "AuthenticateUserTicket": _ACK,
    # Ended by an answer event.
    "GetArrayElementData": Rule(Completion.EVENT, uid=Uid.NONE, answer_event="ArrayElementData"),
    # Ended by the aborted action's own result.
    "RemoteActionAbort": Rule(seconds=2 * MINUTE, uid=Uid.TARGET),
    # Actions that last as long as what they were asked to do.
    "RemoteCameraShot": Rule(seconds=SHOT_OVERHEAD, plus="Expo"),
    "RemoteSetupConnect": Rule(seconds=SETUP_OVERHEAD, plus="TimeoutConnect"),
    "RemoteSetupDisconnect": Rule(seconds=SETUP_OVERHEAD, plus="TimeoutDisconnect"),
    "RemoteRunExternal": Rule(seconds=SETUP_OVERHEAD, plus="TimeoutMilliseconds", plus_scale=0.001),
    "RemoteRotatorMoveTo": Rule(seconds=5 * MINUTE, plus="WaitAfterSeconds"),
    # Sequences and scripts run for hours.
    "RemoteSequence": Rule(seconds=12 * HOUR),
    "RemoteDragScriptSelfContained": Rule(seconds=12 * HOUR),
    # Minutes: cooling (IsASync's wording contradicts its example), gotos,
    # autofocus, flats, solving, slow mechanics.
    "RemoteCooling": Rule(seconds=30 * MINUTE),
    "RemoteFlat": Rule(seconds=30 * MINUTE),
    "RemotePrecisePointTarget": Rule(seconds=10 * MINUTE),
    "RemotePrecisePointTargetAndPA": Rule(seconds=15 * MINUTE),
    "RemoteGotoAltAz": Rule(seconds=10 * MINUTE),
    "RemoteFocusEx": Rule(seconds=15 * MINUTE),
    "RemoteFocus": Rule(seconds=15 * MINUTE),
    "RemoteSolveActualPosition": Rule(seconds=5 * MINUTE),
    "RemoteSolveFITFile": Rule(seconds=5 * MINUTE),
    "RemoteMountFastCommand": Rule(seconds=5 * MINUTE),
    "RemoteFocuserMoveTo": Rule(seconds=5 * MINUTE),
    "RemoteFocuserOffset": Rule(seconds=5 * MINUTE),
    "RemoteFilterChangeTo": Rule(seconds=2 * MINUTE),
    "RemoteSetProfile": Rule(seconds=2 * MINUTE),
    # RoboTarget: database calls, answered quickly.
    "RemoteSetRoboTargetManagerMode": Rule(seconds=ROBOTARGET_TIMEOUT),
}

# Families of methods sharing one rule, by name prefix.
FAMILIES: Mapping[str, Rule] = {
    "RemoteRoboTarget": Rule(seconds=ROBOTARGET_TIMEOUT),
    "RemoteOpenRoboTarget": Rule(seconds=ROBOTARGET_TIMEOUT),
}

# Answer events and the method each one answers.
ANSWER_EVENTS: Mapping[str, str] = {
    method: rule.answer_event for method, rule in RULES.items() if rule.answer_event is not None
}


def rule_for(method: str) -> Rule:
    """The rule of C{method}: its own, its family's, or the default."""
    rule = RULES.get(method)
    if rule is not None:
        return rule
    for prefix, family in FAMILIES.items():
        if method.startswith(prefix):
            return family
    return _DEFAULT


def completion_for(method: str) -> Completion:
    """What finishes C{method}."""
    return rule_for(method).completion


def _number(params: Mapping[str, Any], name: str) -> float:
    value = params.get(name)
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else 0.0


def default_timeout(method: str, params: Mapping[str, Any], fallback: float) -> float:
    """The time limit for a command when the caller gives none."""
    return rule_for(method).limit(params, fallback)
