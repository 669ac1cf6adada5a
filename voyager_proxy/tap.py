"""C{twistd voyager-proxy}: options and the service tree (the composition root)."""

from __future__ import annotations

import gc
import ipaddress
import os
import secrets
import signal
from types import FrameType
from typing import Any, cast

import attrs
from twisted.application.service import IServiceCollection, MultiService, Service
from twisted.internet.address import IPv4Address, IPv6Address
from twisted.internet.defer import DeferredList, maybeDeferred
from twisted.internet.interfaces import IConnector, IListeningPort
from twisted.internet.protocol import ClientFactory
from twisted.logger import Logger
from twisted.python import usage

from .accesslog import access_log_line
from .auth import KeyRing, parse_keys
from .config import Config, ConfigErrors, RoboTargetSettings, load_config
from .descriptors import check_descriptors
from .server import BoundedSite
from .simulator import SimulatorSettings, VoyagerSimulator
from .simulator.faults import Faults
from .stopping import answer_everyone
from .voyager.link import VoyagerLink
from .web import Front, build_front
from .webhooks import Webhooks, build_webhooks, database_path


class Options(usage.Options):
    """Command-line options; each beats the environment and the ini file."""

    optParameters = [
        ["config", "c", None, "Path of the ini file (see etc/voyager-proxy.ini)."],
        ["voyager-host", None, None, "Voyager host [voyager.host]."],
        ["voyager-port", None, None, "Voyager port [voyager.port]."],
        ["http-interface", None, None, "Interface of the HTTP/WebSocket server [http.interface]."],
        ["http-port", None, None, "Port of the HTTP/WebSocket server [http.port]."],
    ]
    optFlags = [
        ["simulator", None, "Start the embedded Voyager simulator on a free loopback port and use it."],
    ]

    _overrides = {
        "voyager-host": "voyager.host",
        "voyager-port": "voyager.port",
        "http-interface": "http.interface",
        "http-port": "http.port",
    }

    def overrides(self) -> dict[str, str]:
        """The given options as C{section.key} overrides for L{load_config}."""
        given = {key: self[option] for option, key in self._overrides.items() if self[option] is not None}
        if self["simulator"]:
            given["simulator.enabled"] = "true"
        return given


def is_loopback(interface: str) -> bool:
    """True for 127.0.0.0/8, ::1 and localhost."""
    if interface == "localhost":
        return True
    try:
        return ipaddress.ip_address(interface).is_loopback
    except ValueError:
        return False


# Connections the kernel completes before we accept them; Twisted's default, 50, overflows when
# thousands of dashboards open together, and the clients then retry their SYN a second or more later.
LISTEN_BACKLOG = 1024


class ListeningService(Service):
    """Listen on a TCP port while running; C{port} is set once listening."""

    _log = Logger()

    def __init__(self, reactor: Any, port: int, factory: Any, interface: str, label: str, scheme: str = "tcp") -> None:
        self._reactor = reactor
        self._scheme = scheme
        self._port_number = port
        self._factory = factory
        self._interface = interface
        self._label = label
        self.port: IListeningPort | None = None

    def startService(self) -> None:
        super().startService()
        self.port = self._reactor.listenTCP(
            self._port_number, self._factory, backlog=LISTEN_BACKLOG, interface=self._interface
        )
        address = cast(IPv4Address | IPv6Address, self.port.getHost())
        host = f"[{address.host}]" if ":" in address.host else address.host
        self._log.info("{label} listening on {url}", label=self._label, url=f"{self._scheme}://{host}:{address.port}/")

    def stopService(self) -> Any:
        super().stopService()
        port, self.port = self.port, None
        return port.stopListening() if port is not None else None


class HttpService(ListeningService):
    """The HTTP API and WebSocket port; stopping answers every caller first (L{answer_everyone})."""

    def __init__(
        self, reactor: Any, port: int, site: BoundedSite, interface: str, front: Front, stop_timeout: float
    ) -> None:
        super().__init__(reactor, port, site, interface, "HTTP API (try /health)", scheme="http")
        self._site = site
        self._front = front
        self._stop_timeout = stop_timeout

    def stopService(self) -> Any:
        listening = maybeDeferred(super().stopService)
        answered = answer_everyone(self._front, self._site, self._reactor, self._stop_timeout)
        return DeferredList([listening, answered])


class SimulatorService(ListeningService):
    """The embedded simulator: says ShutDown to its clients before it stops listening."""

    def __init__(self, reactor: Any, simulator: VoyagerSimulator) -> None:
        super().__init__(reactor, 0, simulator, "127.0.0.1", "embedded Voyager simulator")
        self.simulator = simulator

    def stopService(self) -> Any:
        self.simulator.shutdown()
        return super().stopService()


def _simulated_licence(robotarget: RoboTargetSettings) -> dict[str, Any]:
    """The embedded simulator accepts the RoboTarget secrets the proxy is configured with."""
    if not robotarget.enabled:
        return {}
    return {
        "robotarget_secret": robotarget.secret,
        "robotarget_mac_key": robotarget.mac_key,
        "robotarget_mac_words": tuple(robotarget.mac_words),
        "robotarget_mac_encoding": robotarget.mac_encoding,
    }


def demo_licence() -> RoboTargetSettings:
    """A throwaway RoboTarget licence for the embedded simulator and the proxy to share."""
    return RoboTargetSettings(
        secret=secrets.token_hex(16),
        mac_key=secrets.token_hex(8),
        mac_words=tuple(secrets.token_hex(4) for _ in range(4)),
    )


def build_service(reactor: Any, config: Config) -> MultiService:
    """Assemble simulator (optional), webhooks (optional), Voyager link and HTTP server, started in that order."""
    if config.simulator.enabled and not config.robotarget.enabled:
        config = attrs.evolve(config, robotarget=demo_licence())
    top = MultiService()
    settings = config.voyager
    address: tuple[str, int] | None = (settings.host, settings.port)
    if config.simulator.enabled:
        simulator = VoyagerSimulator(
            reactor,
            SimulatorSettings(
                host_name=config.simulator.host_name,
                preview_width=config.simulator.preview_width,
                preview_height=config.simulator.preview_height,
                username=settings.username or None,
                password=settings.password or None,
                **_simulated_licence(config.robotarget),
            ),
        )
        simulator_service = SimulatorService(reactor, simulator)
        simulator_service.setName("simulator")
        simulator_service.setServiceParent(top)
        address = None  # known once the simulator listens

    def connect(factory: ClientFactory) -> IConnector:
        if address is None:
            assert simulator_service.port is not None
            host, port = "127.0.0.1", cast(IPv4Address, simulator_service.port.getHost()).port
        else:
            host, port = address
        connector: IConnector = reactor.connectTCP(host, port, factory, timeout=settings.connect_timeout)
        return connector

    webhooks: Webhooks | None = None
    if config.webhooks.enabled:  # before the link, to hear its first session
        database = database_path(config.webhooks, config.simulator.enabled, os.environ)
        webhooks = build_webhooks(reactor, config.webhooks, database)
        webhooks.setServiceParent(top)
        Logger().info("webhooks to {endpoint}, outbox {database}", endpoint=webhooks.endpoint, database=database)
    link = VoyagerLink(reactor, settings, connect)
    link.setName("voyager-link")
    link.setServiceParent(top)
    front = build_front(
        link,
        reactor,
        config.api,
        KeyRing(parse_keys(config.api.keys)),
        config.websocket,
        config.robotarget,
        config.images,
        config.http,
        webhooks,
        config.console,
    )
    site = BoundedSite(
        front.root,
        config.http.request_timeout,
        config.http.max_connections,
        logFormatter=access_log_line,
        reactor=reactor,
    )
    site.displayTracebacks = False
    if not config.http.access_log:
        site.log = lambda request: None  # type: ignore[method-assign]
    http = HttpService(reactor, config.http.port, site, config.http.interface, front, config.http.stop_timeout)
    http.setName("http")
    http.setServiceParent(top)
    return top


def stall_on_signals(faults: Faults) -> None:
    """
    SIGUSR1 stalls the embedded simulator (it goes silent, as a hung Voyager
    does), SIGUSR2 brings it back: to see and test what a dashboard shows.
    """

    def stall(number: int, frame: FrameType | None) -> None:
        faults.stalled = number == signal.SIGUSR1

    signal.signal(signal.SIGUSR1, stall)
    signal.signal(signal.SIGUSR2, stall)


def makeService(options: Options) -> IServiceCollection:
    """twistd entry point: a bad configuration stops start-up with one line per problem."""
    from twisted.internet import reactor

    try:
        config = load_config(options["config"], os.environ, options.overrides())
    except ConfigErrors as errors:
        raise SystemExit(f"voyager-proxy: configuration error\n{errors}") from None
    if not is_loopback(config.http.interface) and not config.api.keys:
        raise SystemExit(
            f"voyager-proxy: configuration error\nhttp.interface: {config.http.interface!r} is not"
            " a loopback address; serving beyond this host requires API keys (api.keys)"
        )
    Logger().info("effective configuration: {config}", config=config.describe())
    check_descriptors(config)
    service = build_service(reactor, config)
    # What start-up built (modules, tables, the catalogue) lives as long as the process: out of the cyclic
    # collector's reach, its full passes pause the reactor for half as long (about 25 ms less each, measured).
    reactor.callWhenRunning(gc.freeze)
    if config.simulator.enabled:
        stall_on_signals(cast(SimulatorService, service.getServiceNamed("simulator")).simulator.faults)
    return service
