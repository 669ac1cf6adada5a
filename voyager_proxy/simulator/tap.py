"""C{twistd voyager-sim}: the simulator alone, for demos and for any Voyager client."""

from __future__ import annotations

from typing import Any

from twisted.application.internet import TCPServer
from twisted.python import usage

from .server import ROBOTARGET_MAC_ENCODINGS, SHOT_JPG_KEYS, SOLVE_DEC_TYPES, SimulatorSettings, VoyagerSimulator


def _four_words(value: str) -> tuple[str, ...]:
    words = tuple(value.split(","))
    if len(words) != 4:
        raise ValueError("give four words separated by commas")
    return words


def _one_of(choices: tuple[str, ...]) -> Any:
    def check(value: str) -> str:
        if value not in choices:
            raise ValueError(f"must be one of {', '.join(choices)}")
        return value

    return check


_mac_encoding = _one_of(ROBOTARGET_MAC_ENCODINGS)


class Options(usage.Options):
    """Where to listen, which login to require, and the RoboTarget licence."""

    optParameters = [
        ["port", "p", 5950, "TCP port to listen on.", int],
        ["interface", "i", "127.0.0.1", "Interface to listen on."],
        ["username", "u", None, "Require this user name (no authentication when absent)."],
        ["password", "w", None, "Password for --username."],
        ["host-name", None, "OBS1", "The simulated Voyager PC's name."],
        ["robotarget-secret", None, None, "RoboTarget shared secret (RoboTarget not licensed when absent)."],
        ["robotarget-mac-key", None, "", "RoboTarget licence MAC key."],
        ["robotarget-mac-words", None, ("", "", "", ""), "The four MAC words, comma separated.", _four_words],
        ["robotarget-mac-encoding", None, "hex-base64", "hex-base64 or raw-base64.", _mac_encoding],
        [
            "shot-jpg-key",
            None,
            "BaseData",
            "GetShotJpg's image key: BaseData (table) or Base64Data (example).",
            _one_of(SHOT_JPG_KEYS),
        ],
        ["preview-width", None, 3000, "Width of the NewJPGReady star field, pixels.", int],
        ["preview-height", None, 2000, "Height of the NewJPGReady star field, pixels.", int],
        [
            "solve-dec-type",
            None,
            "string",
            "Plate-solve DEC as string (table) or number (example).",
            _one_of(SOLVE_DEC_TYPES),
        ],
    ]


class SimulatorServer(TCPServer):
    """Listens for clients; says ShutDown to them before it stops."""

    def __init__(self, port: int, simulator: VoyagerSimulator, interface: str) -> None:
        super().__init__(port, simulator, interface=interface)
        self.simulator = simulator

    def stopService(self) -> Any:
        self.simulator.shutdown()
        return super().stopService()


def makeService(options: Options) -> SimulatorServer:
    """twistd entry point."""
    from twisted.internet import reactor

    settings = SimulatorSettings(
        host_name=options["host-name"],
        username=options["username"],
        password=options["password"],
        robotarget_secret=options["robotarget-secret"],
        robotarget_mac_key=options["robotarget-mac-key"],
        robotarget_mac_words=options["robotarget-mac-words"],
        robotarget_mac_encoding=options["robotarget-mac-encoding"],
        shot_jpg_key=options["shot-jpg-key"],
        solve_dec_type=options["solve-dec-type"],
        preview_width=options["preview-width"],
        preview_height=options["preview-height"],
    )
    return SimulatorServer(options["port"], VoyagerSimulator(reactor, settings), options["interface"])
