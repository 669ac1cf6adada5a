"""
Every HTTP route, declared once (pure): path, HTTP method, the Voyager
methods it sends, summary, body and query fields, role.

The Klein apps register their handlers against this table, the request guard
authorises from it, and L{voyager_proxy.rest.document} builds the OpenAPI
document from it. Paths are a contract: Laravel code already uses them.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Callable, Mapping
from typing import Any

import attrs

from ..auth import ROOMS
from . import command_bodies as commands
from . import robotarget_bodies as robotarget
from .errors import invalid
from .fields import (
    EMPTY,
    Angle,
    Body,
    Composite,
    Field,
    GainOffset,
    Integer,
    Number,
    Query,
    QueryChoice,
    QueryEpoch,
    QueryGuid,
    QueryInteger,
    QuerySeconds,
    QuerySwitch,
    QueryText,
    Setting,
)

ROBOTARGET = "/api/robotarget"
RT = "RemoteRoboTarget"


class Role(enum.Enum):
    """Who may call a route."""

    OPEN = "open"  # anyone, no key
    READ = "read"  # any key
    CONTROL = "control"  # a key with the control role


def _json(schema: str, description: str = "OK") -> dict[str, Any]:
    return {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{schema}"}}},
    }


def _listed(field: str, description: str) -> dict[str, Any]:
    return {
        "description": "OK",
        "content": {
            "application/json": {
                "schema": {
                    "type": "object",
                    "required": ["success", field],
                    "properties": {
                        "success": {"const": True},
                        field: {"type": "array", "description": description, "items": {"type": "object"}},
                    },
                }
            }
        },
    }


_SHOTS_DONE = {
    "description": "OK",
    "content": {
        "application/json": {
            "schema": {
                "type": "object",
                "required": ["success", "shotsDone"],
                "properties": {"success": {"const": True}, "shotsDone": {"$ref": "#/components/schemas/ShotsDone"}},
            }
        }
    },
}
COMMAND_ANSWERS = {
    "200": {"$ref": "#/components/responses/CommandDone"},
    "202": {"$ref": "#/components/responses/CommandAccepted"},
}
# The query parameters every command route takes: read by the generic command
# handler, declared once among the document's components (as Wait...).
COMMAND_QUERY: tuple[Query, ...] = (
    QuerySwitch("wait", description="false: answer 202 after Voyager's acknowledgement"),
    QuerySeconds(
        "timeout",
        high=Setting("max_command_timeout"),
        description="Seconds to wait for the command's result instead of its method's default limit."
        " Past it the answer is 504 timeout: Voyager may still be running the command.",
    ),
)
COMMAND_PARAMETERS = (*(query.name.capitalize() for query in COMMAND_QUERY), "IdempotencyKey")
WRITTEN = {"200": _json("RoboTargetWritten")}
CREATED = {"201": _json("RoboTargetWritten")}


@attrs.frozen
class Route:
    """
    One route. C{sends} are the Voyager methods it sends, C{reads} the
    RoboTarget lookups it makes, C{needs} what else a narrowed key must name
    for it (L{ROOMS}): a narrowed key must list all of L{narrowing}. A command route (C{params}
    given) goes through the generic command handler: C{params} turns what
    C{body} read into Voyager's params, and C{?wait=} and
    C{Idempotency-Key} apply.
    """

    method: str
    path: str  # the Klein rule, <name> for a path parameter
    summary: str
    role: Role
    sends: tuple[str, ...] = ()
    reads: tuple[str, ...] = ()
    needs: tuple[str, ...] = ()
    body: Body | None = None
    query: tuple[Query, ...] = ()
    params: Callable[[dict[str, Any]], dict[str, Any]] | None = None
    answers: Mapping[str, Any] = attrs.field(factory=lambda: dict(COMMAND_ANSWERS))
    errors: Mapping[str, Any] = attrs.field(factory=dict)  # statuses beyond those the role and body imply
    shared: tuple[str, ...] = ()  # parameters of the components, by name
    description: str = ""
    key_only: bool = False  # an API key must be presented: a token is refused
    destructive: bool = False  # a console asks for confirmation (so are all DELETEs: see L{asks_to_confirm})

    @property
    def asks_to_confirm(self) -> bool:
        return self.destructive or self.method == "DELETE"

    @property
    def name(self) -> str:
        """The Klein endpoint and metrics label: C{post_api_telescope_park}."""
        return re.sub(r"[^a-z]+", "_", f"{self.method}{self.path}".lower()).strip("_")

    @property
    def narrowing(self) -> tuple[str, ...]:
        """What a narrowed key's list must name to reach this route."""
        return self.sends + self.reads + self.needs

    @property
    def is_command(self) -> bool:
        return self.params is not None

    @property
    def is_robotarget(self) -> bool:
        return self.path.startswith(ROBOTARGET)

    @property
    def path_parameters(self) -> list[str]:
        return re.findall(r"<(?:\w+:)?(\w+)>", self.path)

    def fields(self) -> tuple[Field, ...]:
        return self.body.fields if self.body is not None else ()

    def resolve(self, settings: Any) -> Route:
        """This route with the bounds its fields read from C{settings}."""
        return attrs.evolve(
            self,
            body=None if self.body is None else self.body.resolve(settings),
            query=tuple(query.resolve(settings) for query in self.query),
        )


def command(
    path: str,
    method: str,
    summary: str,
    params: Callable[[dict[str, Any]], dict[str, Any]],
    *fields: Field,
    body: Body | None = None,
    destructive: bool = False,
) -> Route:
    """A POST sending one Voyager method, its params made from the body's fields."""
    return Route(
        "POST",
        path,
        summary,
        Role.CONTROL,
        sends=(method,),
        params=params,
        body=body or (Body(fields) if fields else None),
        shared=COMMAND_PARAMETERS,
        destructive=destructive,
    )


def _fast(path: str, summary: str, kind: int, destructive: bool = False) -> Route:
    return command(
        path, "RemoteMountFastCommand", summary, lambda values: {"CommandType": kind}, destructive=destructive
    )


def _cooling(cool: bool, temperature: float) -> dict[str, Any]:
    return {
        "IsSetPoint": False,
        "IsCoolDown": cool,
        "IsASync": True,
        "IsWarmup": not cool,
        "IsCoolerOFF": False,
        "Temperature": temperature,
    }


def _shot(values: dict[str, Any]) -> dict[str, Any]:
    return {
        "Expo": values["exposure"],
        "Bin": values["binning"],
        "IsROI": False,
        "ROITYPE": 0,
        "ROIX": 0,
        "ROIY": 0,
        "ROIDX": 0,
        "ROIDY": 0,
        "FilterIndex": values["filterIndex"],
        "ExpoType": values["type"],
        "SpeedIndex": 0,
        "ReadoutIndex": 0,
        "IsSaveFile": True,
        "FitFileName": "%%fitdir%%\\voyager-proxy.fit",
        "Gain": values["gain"],
        "Offset": values["offset"],
        "Parallelized": False,
    }


def _same(values: dict[str, Any]) -> dict[str, Any]:
    return values


def _event_name(body: Mapping[str, Any], field: str) -> str:
    value = body.get(field)
    if not isinstance(value, str) or not value:
        raise invalid(field, "must be a non-empty string")
    return value


def _event_data(body: Mapping[str, Any], field: str) -> dict[str, Any]:
    value = body.get(field, {})
    if not isinstance(value, dict):
        raise invalid(field, "must be a JSON object")
    return value


_JPEG = {"image/jpeg": {"schema": {"type": "string", "format": "binary"}}}
_IMAGE = {"$ref": "#/components/schemas/Image"}
# The dashboard's token on the image routes: <img> tags cannot send headers.
IMAGE_TOKEN = QueryText("token", description="A dashboard JWT (as for /ws), for <img> tags that cannot send a key")
IMAGE_EXPIRED = {
    "404": {
        "description": "image_expired: evicted from the store; unknown_image: never kept",
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
    }
}
RESIZE_BUSY = {
    "422": {
        "description": "undecodable_image: ?w= on a preview that is not a decodable JPEG",
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
    },
    "503": {
        "description": "Every resizing thread is busy and the queue is full: retry after Retry-After seconds",
        "headers": {"Retry-After": {"schema": {"type": "integer"}}},
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
    },
}


def _image_answer(description: str, schema: dict[str, Any]) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


PROFILE = QueryText("profile", default="", description="Voyager profile file; all profiles when absent")
_NOT_FOUND = {"404": {"$ref": "#/components/responses/NotFound"}}


def _rt_read(path: str, name: str, summary: str, answer: dict[str, Any], *query: Query, **more: Any) -> Route:
    return Route(
        "GET", ROBOTARGET + path, summary, Role.READ, reads=(RT + name,), query=query, answers={"200": answer}, **more
    )


def _rt_write(method: str, path: str, name: str, summary: str, body: Body | None = None, **more: Any) -> Route:
    more.setdefault("answers", WRITTEN)
    more.setdefault("errors", _NOT_FOUND if "<" in path else {})
    return Route(method, ROBOTARGET + path, summary, Role.CONTROL, sends=(RT + name,), body=body, **more)


_WEBHOOKS_OFF = {
    "409": {
        "description": "Webhooks are off (webhooks.url is empty): error.code webhooks_off",
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
    }
}
_DELIVERY = {"200": _json("WebhookDeliveryAnswer")}


def _webhooks(method: str, path: str, summary: str, **more: Any) -> Route:
    """An operator route of the webhook outbox (control role; 409 while webhooks are off)."""
    more.setdefault("answers", _DELIVERY)
    errors = {**_WEBHOOKS_OFF, **(_NOT_FOUND if "<" in path else {})}
    return Route(method, "/api/webhooks" + path, summary, Role.CONTROL, errors=errors, **more)


ROUTES: tuple[Route, ...] = (
    # Health, metrics and this document.
    Route("GET", "/health", "Liveness and the Voyager session", Role.OPEN, answers={"200": _json("Health", "Always")}),
    Route(
        "GET",
        "/health/ready",
        "Readiness: 200 only while the Voyager session is ready",
        Role.OPEN,
        answers={"200": _json("Readiness", "Ready")},
        errors={"503": _json("Readiness", "Not ready")},
    ),
    Route(
        "GET",
        "/metrics",
        "Prometheus metrics",
        Role.READ,
        answers={
            "200": {"description": "Prometheus text format", "content": {"text/plain": {"schema": {"type": "string"}}}}
        },
    ),
    Route(
        "GET",
        "/api/openapi.json",
        "This document",
        Role.OPEN,
        answers={
            "200": {"description": "OpenAPI 3.1", "content": {"application/json": {"schema": {"type": "object"}}}}
        },
    ),
    Route(
        "POST",
        "/api/tokens",
        "Exchange an API key for a token (JWT) with its role and method list, valid for at most an hour",
        Role.READ,
        key_only=True,
        answers={"200": _json("TokenAnswer", "Issued")},
        description="For browsers, which keep the token in memory and never the key: send it as"
        " `Authorization: Bearer <token>` to this API or as `?token=` to /ws. Signed with"
        " websocket.jwt_secret, or a secret drawn at start-up when none is set (tokens then last"
        " until the daemon restarts or they expire).",
    ),
    # Reads, from the cache.
    Route(
        "GET",
        "/api/status/connection",
        "Voyager connection status",
        Role.READ,
        answers={"200": _json("ConnectionAnswer")},
    ),
    Route(
        "GET",
        "/api/dashboard/state",
        "The cached observatory state (never waits on Voyager)",
        Role.READ,
        shared=("IfNoneMatch",),
        answers={
            "200": _json("StateAnswer"),
            "304": {"description": "Unchanged since the ETag given in If-None-Match"},
        },
    ),
    Route(
        "GET",
        "/api/camera/preview",
        "The latest JPEG preview",
        Role.READ,
        errors=_NOT_FOUND,
        answers={
            "200": {
                "description": "The JPEG, or JSON with base64 when Accept asks for application/json",
                "content": {
                    "image/jpeg": {"schema": {"type": "string", "format": "binary"}},
                    "application/json": {"schema": {"$ref": "#/components/schemas/PreviewAnswer"}},
                },
            }
        },
    ),
    # Images: each preview kept once under its content's id (voyager_proxy.images).
    Route(
        "GET",
        "/api/images",
        "The kept previews, the newest first",
        Role.READ,
        query=(
            QueryInteger("limit", low=1, high=1000, default=20, description="At most this many (images.keep are kept)"),
            IMAGE_TOKEN,
        ),
        answers={
            "200": _image_answer(
                "OK",
                {
                    "type": "object",
                    "required": ["success", "images"],
                    "properties": {"success": {"const": True}, "images": {"type": "array", "items": _IMAGE}},
                },
            )
        },
    ),
    Route(
        "GET",
        "/api/images/latest",
        "Redirect (307, not cached) to the newest preview's URL",
        Role.READ,
        query=(IMAGE_TOKEN,),
        answers={
            "307": {
                "description": "Location: /api/images/{id}.jpg",
                "headers": {"Location": {"schema": {"type": "string"}}},
            }
        },
        errors={
            "404": {
                "description": "no_image: none kept yet",
                "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
            }
        },
    ),
    Route(
        "GET",
        "/api/images/<image>.jpg",
        "A kept preview's JPEG, or a downscaled copy with ?w=",
        Role.READ,
        query=(
            QueryText(
                "w",
                description="Width in pixels, one of images.widths (320, 640, 1280 by default); absent: the original",
            ),
            IMAGE_TOKEN,
        ),
        shared=("IfNoneMatch",),
        answers={
            "200": {
                "description": "The JPEG; immutable: the URL always names these bytes",
                "headers": {"ETag": {"schema": {"type": "string"}}, "Cache-Control": {"schema": {"type": "string"}}},
                "content": _JPEG,
            },
            "304": {"description": "The ETag given in If-None-Match is this image's"},
        },
        errors={**IMAGE_EXPIRED, **RESIZE_BUSY},
    ),
    Route(
        "GET",
        "/api/images/<image>.json",
        "A kept preview's metadata",
        Role.READ,
        query=(IMAGE_TOKEN,),
        answers={
            "200": _image_answer(
                "OK",
                {
                    "type": "object",
                    "required": ["success", "image"],
                    "properties": {"success": {"const": True}, "image": _IMAGE},
                },
            )
        },
        errors=IMAGE_EXPIRED,
    ),
    Route(
        "GET",
        "/api/events/recent",
        "The last events, images left out",
        Role.READ,
        query=(
            QueryInteger(
                "limit", low=1, high=Setting("recent_events"), default=50, description="At most api.recent_events"
            ),
            QueryText("type", description="Only events of this name"),
        ),
        answers={"200": _json("EventsAnswer")},
    ),
    Route(
        "GET",
        "/api/commands",
        "The latest commands sent through the API",
        Role.READ,
        query=(
            QueryInteger(
                "limit", low=1, high=Setting("ledger_size"), default=50, description="At most api.ledger_size"
            ),
        ),
        answers={"200": _json("CommandsAnswer")},
    ),
    Route(
        "GET",
        "/api/commands/<uid>",
        "One command of the ledger",
        Role.READ,
        errors=_NOT_FOUND,
        answers={"200": _json("CommandAnswer")},
    ),
    Route(
        "GET",
        "/api/telescope/status",
        "Mount status (RemoteMountStatusGetInfo)",
        Role.READ,
        sends=("RemoteMountStatusGetInfo",),
        answers={"200": _json("MountAnswer")},
    ),
    Route(
        "POST",
        "/api/rooms/<room>/events",
        "Push a message to every WebSocket client in a booking room",
        Role.CONTROL,
        needs=(ROOMS,),
        answers={"200": _json("RoomAnswer", "Sent")},
        body=Body(
            (
                Composite("event", reader=_event_name, layout=lambda: {"type": "string", "minLength": 1}),
                Composite("data", default={}, reader=_event_data, layout=lambda: {"type": "object"}),
            )
        ),
    ),
    # Commands.
    command("/api/dashboard/enable", "RemoteSetDashboardMode", "Dashboard mode on", lambda values: {"IsOn": True}),
    command("/api/dashboard/disable", "RemoteSetDashboardMode", "Dashboard mode off", lambda values: {"IsOn": False}),
    command("/api/control/abort", "Abort", "Stop whatever runs", lambda values: {"IsHalt": True}, destructive=True),
    command(
        "/api/setup/connect",
        "RemoteSetupConnect",
        "Connect the setup",
        lambda values: {"TimeoutConnect": values["timeout"]},
        Integer("timeout", 1, 600, default=60, description="TimeoutConnect, seconds"),
    ),
    command(
        "/api/setup/disconnect",
        "RemoteSetupDisconnect",
        "Disconnect the setup",
        lambda values: {"TimeoutDisconnect": values["timeout"]},
        Integer("timeout", 1, 600, default=60, description="TimeoutDisconnect, seconds"),
        destructive=True,
    ),
    _fast("/api/telescope/park", "Park", 3, destructive=True),
    _fast("/api/telescope/unpark", "Unpark", 4),
    _fast("/api/telescope/tracking/start", "Tracking on", 1),
    _fast("/api/telescope/tracking/stop", "Tracking off", 2),
    command(
        "/api/telescope/goto",
        "RemotePrecisePointTarget",
        "Go to coordinates, refined by plate solving",
        lambda values: {
            "IsText": False,
            "RA": values["ra"],
            "DEC": values["dec"],
            "RAText": "",
            "DECText": "",
            "Parallelized": False,
        },
        Angle("ra", 0, 24, wraps=True, description="Hours: decimal, or sexagesimal such as 05:35:17.3"),
        Angle("dec", -90, 90, description="Degrees: decimal, or sexagesimal such as -05:23:28"),
    ),
    command(
        "/api/camera/shot",
        "RemoteCameraShot",
        "Take a shot",
        _shot,
        Number("exposure", 0, 3600, above=True, description="Expo, seconds"),
        Integer("binning", 1, 4, default=1),
        Integer("filterIndex", 0, 31, default=0),
        Integer("type", 0, 3, default=0, description="0 light, 1 bias, 2 dark, 3 flat"),
        GainOffset("gain"),
        GainOffset("offset"),
    ),
    command(
        "/api/camera/cool",
        "RemoteCooling",
        "Cool the camera",
        lambda values: _cooling(True, values["temperature"]),
        Number("temperature", -60, 40, description="Set point, degrees Celsius"),
    ),
    command("/api/camera/warm", "RemoteCooling", "Warm the camera up", lambda values: _cooling(False, 0)),
    command("/api/utils/autofocus", "RemoteFocusEx", "Autofocus", _same, body=commands.AUTOFOCUS),
    command(
        "/api/utils/platesolve",
        "RemoteSolveActualPosition",
        "Plate solve where the mount points",
        lambda values: {"IsBlind": False, "IsSync": False},
    ),
    command(
        "/api/focuser/move",
        "RemoteFocuserMoveTo",
        "Move the focuser to an absolute position",
        _same,
        body=commands.FOCUSER_MOVE,
    ),
    command(
        "/api/focuser/offset",
        "RemoteFocuserOffset",
        "Move the focuser by a signed number of steps",
        _same,
        body=commands.FOCUSER_OFFSET,
    ),
    command(
        "/api/filter/change",
        "RemoteFilterChangeTo",
        "Change filter",
        lambda values: {"FilterIndex": values["filterIndex"]},
        Integer("filterIndex", 0, 31),
    ),
    Route(
        "POST",
        "/api/commands/<method>",
        "Send any Voyager method on the allow-list; the body is its params",
        Role.CONTROL,
        body=EMPTY,
        params=_same,
        shared=COMMAND_PARAMETERS,
        description="The path names the Voyager method (api.allowed_methods); a narrowed key must list it.",
    ),
    # RoboTarget: sets and base sequences.
    Route(
        "GET",
        ROBOTARGET + "/status",
        "RoboTarget manager mode: disabled, waiting, activating, ready or error (with the reason)",
        Role.READ,
        answers={
            "200": {
                "description": "OK",
                "content": {
                    "application/json": {
                        "schema": {
                            "type": "object",
                            "required": ["success", "robotarget"],
                            "properties": {
                                "success": {"const": True},
                                "robotarget": {"$ref": "#/components/schemas/RoboTargetStatus"},
                            },
                        }
                    }
                },
            }
        },
    ),
    _rt_read(
        "/sets",
        "GetSet",
        "List sets (RemoteRoboTargetGetSet)",
        _listed("sets", "guid, setname, profilename, isdefault, status, tag, note"),
        PROFILE,
    ),
    _rt_write(
        "POST", "/sets", "AddSet", "Create a set (AddSet); Guid generated when absent", robotarget.SET, answers=CREATED
    ),
    _rt_write("PUT", "/sets/<guid>", "UpdateSet", "Update a set (UpdateSet)", robotarget.SET_UPDATE),
    _rt_write("DELETE", "/sets/<guid>", "RemoveSet", "Remove a set with all its targets and shots (RemoveSet)"),
    _rt_write("POST", "/sets/<guid>/enable", "EnableDisableObject", "Enable a set (EnableDisableObject)"),
    _rt_write("POST", "/sets/<guid>/disable", "EnableDisableObject", "Disable a set: its targets are skipped"),
    _rt_read(
        "/base-sequences",
        "GetBaseSequence",
        "List base sequences (GetBaseSequence)",
        _listed("baseSequences", "guid, basesequencename, filename, profilename, isdefault, status, note"),
        PROFILE,
    ),
    # Targets.
    _rt_read(
        "/targets",
        "GetTarget",
        "List a set's targets (GetTarget)",
        _listed("targets", "target fields in lower case"),
        QueryGuid("setGuid", needed=True),
    ),
    _rt_write(
        "POST",
        "/targets",
        "AddTarget",
        "Create a target (AddTarget); GuidTarget generated when absent",
        robotarget.TARGET,
        answers=CREATED,
    ),
    _rt_write(
        "PUT", "/targets/<guid>", "UpdateTarget", "Replace a target's fields (UpdateTarget)", robotarget.TARGET_UPDATE
    ),
    _rt_write("DELETE", "/targets/<guid>", "RemoveTarget", "Remove a target and its shots (RemoveTarget)"),
    _rt_write(
        "POST",
        "/targets/<guid>/activate",
        "EnableDisableObject",
        "Enable a target: the scheduler may run it (booking slot starts)",
    ),
    _rt_write("POST", "/targets/<guid>/deactivate", "EnableDisableObject", "Disable a target (booking slot ends)"),
    _rt_read(
        "/targets/<guid>/shots",
        "GetShot",
        "A target's shots (GetShot)",
        _listed("shots", "guid, label, filterindex, num, bin, exposure, auxshotdone..."),
        errors=_NOT_FOUND,
    ),
    _rt_read(
        "/targets/<guid>/sessions",
        "GetSessionListByTarget",
        "A target's imaging sessions (GetSessionListByTarget)",
        _listed("sessions", "guid, datetimestart, datetimeend, result, status..."),
        errors=_NOT_FOUND,
    ),
    Route(
        "GET",
        ROBOTARGET + "/targets/<guid>",
        "One target, looked up through every set",
        Role.READ,
        reads=(RT + "GetSet", RT + "GetTarget"),
        errors=_NOT_FOUND,
        answers={
            "200": {
                "description": "OK",
                "content": {
                    "application/json": {
                        "schema": {
                            "type": "object",
                            "required": ["success", "target"],
                            "properties": {"success": {"const": True}, "target": {"type": "object"}},
                        }
                    }
                },
            }
        },
    ),
    # Shots.
    _rt_write(
        "POST",
        "/shots",
        "AddShot",
        "Create a shot (AddShot); GuidShot generated when absent",
        robotarget.SHOT,
        answers=CREATED,
    ),
    _rt_write("PUT", "/shots/<guid>", "UpdateShot", "Replace a shot's fields (UpdateShot)", robotarget.SHOT_UPDATE),
    _rt_write("DELETE", "/shots/<guid>", "RemoveShot", "Remove a shot (RemoveShot)"),
    # Progress and results.
    _rt_read(
        "/runs",
        "GetRunList",
        "Scheduler runs (GetRunList)",
        _listed("runs", "guid, profilename, datetimestart, datetimeend, isrunning..."),
        PROFILE,
        QueryInteger("days", low=0, high=3650, default=0, description="Days back; 0 all"),
    ),
    _rt_read(
        "/sessions/<guid>/shots-done",
        "GetShotDoneBySessionList",
        "Shots done in a session (GetShotDoneBySessionList)",
        _SHOTS_DONE,
        errors=_NOT_FOUND,
    ),
    _rt_read(
        "/sets/<guid>/shots-done",
        "GetShotDoneBySetList",
        "Shots done in a set (GetShotDoneBySetList)",
        _SHOTS_DONE,
        errors=_NOT_FOUND,
    ),
    _rt_read(
        "/shots-done",
        "GetShotDoneSinceList",
        "Shots done since a time (GetShotDoneSinceList)",
        _SHOTS_DONE,
        QueryEpoch("since", description="UTC epoch seconds, or ISO 8601"),
        QueryGuid("setGuid", description="Only this set's; any when absent"),
        QueryGuid("targetGuid", description="Only this target's; any when absent"),
    ),
    _rt_read(
        "/shots-done/<guid>/jpeg",
        "GetShotJpg",
        "The JPEG of a shot done (GetShotJpg)",
        {
            "description": "The JPEG; X-Shot-HFD, X-Shot-Star-Index, X-Shot-Width, X-Shot-Height headers",
            "content": {"image/jpeg": {"schema": {"type": "string", "format": "binary"}}},
        },
        errors=_NOT_FOUND,
    ),
    # Plans: one booking, all or nothing.
    Route(
        "POST",
        ROBOTARGET + "/plans",
        "Create one booking's set, target and shots, all or nothing",
        Role.CONTROL,
        sends=(RT + "AddSet", RT + "AddTarget", RT + "AddShot", RT + "RemoveSet"),
        reads=(RT + "GetSet",),
        body=robotarget.PLAN,
        shared=("IdempotencyKey",),
        answers={"201": _json("PlanCreated")},
        errors={
            "409": {
                "description": "The set GUID is already a set in Voyager; nothing was created",
                "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
            }
        },
    ),
    _rt_write("DELETE", "/plans/<guid>", "RemoveSet", "Remove a booking: its set with targets and shots"),
    # Webhooks: the outbox of deliveries to Laravel.
    _webhooks(
        "GET",
        "/deliveries",
        "Webhook deliveries, newest first: attempts, last answer, next attempt",
        query=(
            QueryChoice("status", choices=("pending", "delivered", "failed", "dropped"), description="Only these"),
            QueryInteger("limit", low=1, high=1000, default=50),
        ),
        answers={"200": _json("WebhookDeliveriesAnswer")},
    ),
    _webhooks("GET", "/deliveries/<id>", "One webhook delivery"),
    _webhooks(
        "POST",
        "/deliveries/<id>/retry",
        "Attempt a delivery now (a delivered or failed one again, with the same webhook-id)",
    ),
    _webhooks("POST", "/test", "Queue a webhook.test event", answers={"202": _json("WebhookDeliveryAnswer", "Queued")}),
    _webhooks(
        "POST",
        "/enable",
        "Enable the endpoint after it answered 410 Gone",
        answers={"200": _json("WebhooksAnswer")},
    ),
)

BY_KEY: dict[tuple[str, str], Route] = {(route.method, route.path): route for route in ROUTES}


def route(method: str, path: str) -> Route:
    """The route declared for C{method} and C{path}."""
    return BY_KEY[(method, path)]
